"""schemathesis hooks for Embargo: policy files are TOML request bodies
(`application/toml`), which schemathesis has no serializer for. The schema
says such a body is a string: it goes out as UTF-8 text; anything else a
negative test makes goes out as its JSON text, which no policy file is."""
import json

import schemathesis


@schemathesis.serializer("application/toml")
def toml_text(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")
