#!/usr/bin/env python3
"""A test double of MITRE's CVE Services API (v2.3.3), built from its
published OpenAPI document and JSON schemas in the conformance folder
(`cve-services/api-docs/openapi.json`, `cve-services/schemas/**`), for the
tests of Embargo's CVE Services client. It keeps state (reserved ids, records)
in memory and checks what it is sent against the published schemas:

- the authentication headers `CVE-API-ORG`, `CVE-API-USER`, `CVE-API-KEY`
  (401 `UNAUTHORIZED` when they do not match the one account it knows);
- the query parameters the OpenAPI document marks required, and their types
  and enumerations (400 `BAD_REQUEST` with `details`, `errors/bad-request.json`);
- request bodies against the request schemas the OpenAPI document names
  (`cve/create-cve-record-cna-request.json`, the rejection requests);
- a record about to be published, whole, against the CVE JSON 5.2.0 bundled
  schema (`schemas/cve/CVE_JSON_bundled_5.2.0.json`);
- every answer it gives against the response schema the OpenAPI document
  names, so a double that drifted from the schemas fails loudly (500).

Usage: cve_services.py CONFORMANCE_DIR LOG_FILE ORG USERS KEY_FILE

USERS is one user name or several, comma-separated: the organisation's users,
who share the API key. The API key is read from KEY_FILE at each request, so a
test can rotate it. Two more files beside KEY_FILE let a test steer the double:
`now` (when present, the time it stamps, so its clock follows the test's) and
`drop` (when present, the next reservation is made and then the connection is
closed without an answer, as a crash or a broken connection after CVE Services
answered would leave it; the file is removed).

`GET /cve-id` filters by `state`, `cve_id_year`, `time_reserved.lt`/`.gt` and
`time_modified.lt`/`.gt`, and pages as CVE Services does: PAGE_SIZE ids a page
(the environment's `CVE_SERVICES_PAGE_SIZE`, 500 when unset), with
`totalCount`, `itemsPerPage`, `pageCount`, `currentPage`, `prevPage` and
`nextPage` when there is more than one page (`nextPage` null on the last).

Prints the port it listens on (127.0.0.1) on the first line of stdout; the
API's base is http://127.0.0.1:PORT/api (what a client calls `url`). Each
request is appended to LOG_FILE as one JSON line: method, path, status.
It answers as CVE Services does where cvelib depends on it: a second
`POST /cve/{id}/cna` is 403 `CVE_RECORD_EXISTS`, a record not yet published is
404 `CVE_RECORD_DNE`.
"""

import json
import os
import re
import sys
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from jsonschema import Draft4Validator, Draft7Validator

CONFORMANCE, LOG_FILE, ORG, USERS, KEY_FILE = sys.argv[1:6]
USERS = USERS.split(",")
CONTROL = os.path.dirname(KEY_FILE)
PAGE_SIZE = int(os.environ.get("CVE_SERVICES_PAGE_SIZE", "500"))
SERVICES = os.path.join(CONFORMANCE, "cve-services")
OPENAPI = json.load(open(os.path.join(SERVICES, "api-docs", "openapi.json"), encoding="utf-8"))
# A version 4 UUID (as CVE org ids are), the same for the same short name.
ORG_UUID = str(uuid.UUID(bytes=uuid.uuid5(uuid.NAMESPACE_DNS, ORG + ".cna.example").bytes, version=4))
CVE_ID = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,19}$")
LOCK = threading.Lock()
STATE = {"next": {}, "ids": {}, "records": {}}


def schema_file(ref):
    """The schema a `$ref` of the OpenAPI document names (`../schemas/...` or `/schemas/...`)."""
    path = ref.replace("../schemas/", "").replace("/schemas/", "")
    with open(os.path.join(SERVICES, "schemas", path), encoding="utf-8") as f:
        return json.load(f)


def validator(schema):
    if "draft-07" in schema.get("$schema", ""):
        return Draft7Validator(schema)
    return Draft4Validator(schema)


def errors_of(schema, value):
    return sorted(e.message for e in validator(schema).iter_errors(value))


def response_errors(schema, value):
    """Errors of an answer against its published schema, less one known slip of that
    schema: the record responses type `containers.cna.affected` as an object, where the
    record format (and the service) has an array. An inline `oneOf`/`anyOf` of files
    passes when one alternative does."""
    if "$ref" in schema:
        schema = schema_file(schema["$ref"])
    choices = schema.get("oneOf") or schema.get("anyOf")
    if choices:
        found = [response_errors(choice, value) for choice in choices]
        return [] if any(not f for f in found) else min(found, key=len)
    return sorted(e.message for e in validator(schema).iter_errors(value) if "affected" not in list(e.absolute_path))


CVE_52 = json.load(open(os.path.join(CONFORMANCE, "schemas", "cve", "CVE_JSON_bundled_5.2.0.json"), encoding="utf-8"))


def operation(method, template):
    return OPENAPI["paths"][template][method.lower()]


def parameters(op):
    found = []
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = OPENAPI["components"]["parameters"][p["$ref"].split("/")[-1]]
        found.append(p)
    return found


def response_schema(op, status):
    response = op["responses"].get(str(status), {})
    if "$ref" in response:
        response = OPENAPI["components"]["responses"][response["$ref"].split("/")[-1]]
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    return schema


def request_schema(op):
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    schema = schema_file(schema["$ref"]) if schema and "$ref" in schema else schema
    # A slip of the published copy: `tagExtension` lost its pattern when the record schema was
    # inlined, so every reference tag matched both branches of `oneOf` and no tag could pass.
    # The record format (and so the service) defines it as below; the whole record is checked
    # against CVE 5.2.0 on publication as well.
    if schema and "tagExtension" in schema.get("definitions", {}):
        schema["definitions"]["tagExtension"] = CVE_52["definitions"]["tagExtension"]
    return schema


def key():
    with open(KEY_FILE, encoding="utf-8") as f:
        return f.read().strip()


def now():
    try:
        with open(os.path.join(CONTROL, "now"), encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def instant(text):
    """A timestamp of the API (`2026-05-04T09:00:00.000Z`, or without a zone, as cvelib sends: UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def take_drop():
    """Whether the test asked for this answer to be lost (once)."""
    try:
        os.remove(os.path.join(CONTROL, "drop"))
        return True
    except FileNotFoundError:
        return False


ROUTES = [
    ("GET", re.compile(r"^/api/health-check$"), "/health-check"),
    ("GET", re.compile(r"^/api/org/(?P<identifier>[^/]+)$"), "/org/{identifier}"),
    ("POST", re.compile(r"^/api/cve-id$"), "/cve-id"),
    ("GET", re.compile(r"^/api/cve-id$"), "/cve-id"),
    ("GET", re.compile(r"^/api/cve-id/(?P<id>[^/]+)$"), "/cve-id/{id}"),
    ("GET", re.compile(r"^/api/cve/(?P<id>[^/]+)$"), "/cve/{id}"),
    ("POST", re.compile(r"^/api/cve/(?P<id>[^/]+)/cna$"), "/cve/{id}/cna"),
    ("PUT", re.compile(r"^/api/cve/(?P<id>[^/]+)/cna$"), "/cve/{id}/cna"),
    ("POST", re.compile(r"^/api/cve/(?P<id>[^/]+)/reject$"), "/cve/{id}/reject"),
    ("PUT", re.compile(r"^/api/cve/(?P<id>[^/]+)/reject$"), "/cve/{id}/reject"),
]


class Refusal(Exception):
    def __init__(self, status, error, message, details=None):
        super().__init__(message)
        self.status, self.body = status, {"error": error, "message": message}
        if details is not None:
            self.body["details"] = details


def body_details(problems):
    """Schema errors as `errors/bad-request.json` lists them."""
    return [{"msg": p, "param": "cnaContainer", "location": "body"} for p in problems]


def check_query(op, query):
    details = []
    for p in parameters(op):
        if p["in"] != "query":
            continue
        values = query.get(p["name"])
        if values is None:
            if p.get("required"):
                details.append({"msg": "Parameter is required", "param": p["name"], "location": "query"})
            continue
        schema = p.get("schema", {})
        value = values[0]
        if schema.get("type") == "integer":
            if not re.fullmatch(r"-?[0-9]+", value):
                details.append({"msg": "Must be an integer", "param": p["name"], "location": "query"})
                continue
        if "enum" in schema and value not in schema["enum"]:
            details.append({"msg": f"Must be one of {schema['enum']}", "param": p["name"], "location": "query"})
    if details:
        raise Refusal(400, "BAD_INPUT", "Parameters were invalid", details)


def id_json(entry):
    return {k: entry[k] for k in ("cve_id", "cve_year", "owning_cna", "state", "requested_by", "reserved", "time")}


def full_record(cve_id, cna, state):
    entry = STATE["ids"][cve_id]
    published = STATE["records"].get(cve_id, {}).get("cveMetadata", {}).get("datePublished", now())
    metadata = {
        "cveId": cve_id,
        "assignerOrgId": ORG_UUID,
        "assignerShortName": ORG,
        "state": state,
        "dateReserved": entry["reserved"],
        "dateUpdated": now(),
    }
    if state == "PUBLISHED":
        metadata["datePublished"] = published
    else:
        metadata["dateRejected"] = now()
    cna = dict(cna)
    cna["providerMetadata"] = {"orgId": ORG_UUID, "shortName": ORG, "dateUpdated": now()}
    return {"dataType": "CVE_RECORD", "dataVersion": "5.2", "cveMetadata": metadata, "containers": {"cna": cna}}


def listed(query):
    """`GET /cve-id`: the ids that pass the filters, one page of them, with the paging attributes."""
    items = list(STATE["ids"].values())
    state = query.get("state", [None])[0]
    if state is not None:
        items = [e for e in items if e["state"] == state]
    year = query.get("cve_id_year", [None])[0]
    if year is not None:
        items = [e for e in items if e["cve_year"] == year]
    for name, field in (("time_reserved", lambda e: e["reserved"]), ("time_modified", lambda e: e["time"]["modified"])):
        try:
            lt = query.get(name + ".lt", [None])[0]
            gt = query.get(name + ".gt", [None])[0]
            if lt is not None:
                items = [e for e in items if instant(field(e)) < instant(lt)]
            if gt is not None:
                items = [e for e in items if instant(field(e)) > instant(gt)]
        except ValueError:
            raise Refusal(400, "BAD_INPUT", "Parameters were invalid",
                          [{"msg": "Must be a date-time", "param": name, "location": "query"}])
    items.sort(key=lambda e: (e["reserved"], e["cve_id"]))
    page = int(query.get("page", ["1"])[0])
    pages = max(1, -(-len(items) // PAGE_SIZE))
    if page < 1:
        raise Refusal(400, "BAD_INPUT", "Parameters were invalid",
                      [{"msg": "Must be at least 1", "param": "page", "location": "query"}])
    chosen = [id_json(e) for e in items[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    if len(items) <= PAGE_SIZE:
        # One page: CVE Services leaves the paging attributes out then.
        return {"cve_ids": chosen}
    answer = {"totalCount": len(items), "itemsPerPage": PAGE_SIZE, "pageCount": pages, "currentPage": page,
              "cve_ids": chosen}
    # On the first page `prevPage` and on the last `nextPage` are null, as cvelib expects; the
    # published schema types them as integers, so they are left out there instead.
    if page > 1:
        answer["prevPage"] = page - 1
    if page < pages:
        answer["nextPage"] = page + 1
    return answer


def handle(method, template, match, query, body, user):
    """Answers (status, JSON) for a request that passed authentication."""
    op = operation(method, template)
    check_query(op, query)
    schema = request_schema(op)
    if schema is not None:
        if body is None:
            raise Refusal(400, "BAD_INPUT", "The body is not JSON")
        problems = errors_of(schema, body)
        if problems:
            raise Refusal(400, "INVALID_JSON_SCHEMA", "CVE JSON schema validation FAILED.", body_details(problems))
    if template == "/health-check":
        return 200, None
    if template == "/org/{identifier}":
        if match["identifier"] not in (ORG, ORG_UUID):
            raise Refusal(404, "ORG_DNE", f"The organization {match['identifier']} does not exist.")
        return 200, {"name": ORG, "short_name": ORG, "UUID": ORG_UUID, "authority": {"active_roles": ["CNA"]},
                     "policies": {"id_quota": 1000}, "time": {"created": now(), "modified": now()}}
    if template == "/cve-id" and method == "POST":
        amount, year = int(query["amount"][0]), query["cve_year"][0]
        if query["short_name"][0] != ORG:
            raise Refusal(403, "ORG_CANNOT_RESERVE_FOR_OTHER", "The user cannot reserve for another organization.")
        if amount < 1 or amount > 1000:
            raise Refusal(400, "INVALID_AMOUNT", "The amount must be between 1 and 1000.")
        if amount > 1 and "batch_type" not in query:
            raise Refusal(400, "NO_BATCH_TYPE", "batch_type is required when amount is greater than one.")
        made = []
        for _ in range(amount):
            number = STATE["next"].get(year, 10000)
            STATE["next"][year] = number + 1
            cve_id = f"CVE-{year}-{number}"
            stamp = now()
            STATE["ids"][cve_id] = {"cve_id": cve_id, "cve_year": year, "owning_cna": ORG, "state": "RESERVED",
                                    "requested_by": {"cna": ORG, "user": user}, "reserved": stamp,
                                    "time": {"created": stamp, "modified": stamp}}
            made.append(id_json(STATE["ids"][cve_id]))
        reserved = sum(1 for e in STATE["ids"].values() if e["state"] == "RESERVED")
        return 200, {"cve_ids": made, "meta": {"remaining_quota": 1000 - reserved}}
    if template == "/cve-id" and method == "GET":
        return 200, listed(query)
    cve_id = match.get("id", "")
    if not CVE_ID.match(cve_id):
        raise Refusal(400, "BAD_INPUT", "Parameters were invalid",
                      [{"msg": "Invalid CVE ID", "param": "id", "location": "param"}])
    entry = STATE["ids"].get(cve_id)
    if entry is None:
        raise Refusal(404, "CVEID_DNE", f"{cve_id} does not exist.")
    if template == "/cve-id/{id}":
        return 200, id_json(entry)
    if template == "/cve/{id}":
        if cve_id not in STATE["records"]:
            raise Refusal(404, "CVE_RECORD_DNE", "The CVE Record does not exist.")
        return 200, STATE["records"][cve_id]
    cna = body["cnaContainer"]
    if template == "/cve/{id}/cna":
        if method == "POST" and cve_id in STATE["records"]:
            raise Refusal(403, "CVE_RECORD_EXISTS", "The CVE Record already exists.")
        if method == "PUT" and cve_id not in STATE["records"]:
            raise Refusal(404, "CVE_RECORD_DNE", "The CVE Record does not exist.")
        record = full_record(cve_id, cna, "PUBLISHED")
        problems = errors_of(CVE_52, record)
        if problems:
            raise Refusal(400, "INVALID_JSON_SCHEMA", "CVE JSON schema validation FAILED.", body_details(problems))
        STATE["records"][cve_id] = record
        entry["state"] = "PUBLISHED"
        entry["time"]["modified"] = now()
        if method == "POST":
            return 200, {"message": f"{cve_id} record was successfully created.", "created": record}
        return 200, {"message": f"{cve_id} record was successfully updated.", "updated": record}
    if template == "/cve/{id}/reject":
        if method == "POST" and cve_id in STATE["records"]:
            raise Refusal(403, "CVE_RECORD_EXISTS", "The CVE Record already exists.")
        if method == "PUT" and cve_id not in STATE["records"]:
            raise Refusal(404, "CVE_RECORD_DNE", "The CVE Record does not exist.")
        record = full_record(cve_id, cna, "REJECTED")
        STATE["records"][cve_id] = record
        entry["state"] = "REJECTED"
        entry["time"]["modified"] = now()
        if method == "POST":
            return 200, {"message": f"{cve_id} record was successfully rejected.", "created": record}
        return 200, {"message": f"{cve_id} record was successfully updated.", "updated": record}
    raise Refusal(404, "NOT_FOUND", "Not found")


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, payload):
        text = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def serve(self, method):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("content-length", "0") or "0")
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        route = next(((t, m.groupdict()) for (verb, rx, t) in ROUTES if verb == method and (m := rx.match(url.path))),
                     None)
        lost = False
        with LOCK:
            user = self.headers.get("CVE-API-USER")
            if route is None:
                status, payload = 404, {"error": "NOT_FOUND", "message": f"No route {method} {url.path}"}
            elif (self.headers.get("CVE-API-ORG") != ORG or user not in USERS
                  or self.headers.get("CVE-API-KEY") != key()) and route[0] != "/health-check":
                status, payload = 401, {"error": "UNAUTHORIZED", "message": "Unauthorized"}
            else:
                try:
                    status, payload = handle(method, route[0], route[1], query, body, user)
                except Refusal as refusal:
                    status, payload = refusal.status, refusal.body
                # The double's own answer must follow the published response schema.
                schema = response_schema(operation(method, route[0]), status)
                if payload is not None and schema is not None:
                    problems = response_errors(schema, payload)
                    if problems:
                        status, payload = 500, {"error": "DOUBLE_DRIFTED", "message": "; ".join(problems)}
            with open(LOG_FILE, "a", encoding="utf-8") as log:
                lost = status == 200 and method == "POST" and route is not None and route[0] == "/cve-id" \
                    and take_drop()
                entry = {"method": method, "path": url.path, "query": url.query, "status": status,
                         "body": body if method != "GET" else None, "user": user, "dropped": lost}
                log.write(json.dumps(entry) + "\n")
        if lost:
            # The ids are reserved; the answer is lost with the connection.
            self.close_connection = True
            return
        self.answer(status, payload)

    def do_GET(self):
        self.serve("GET")

    def do_POST(self):
        self.serve("POST")

    def do_PUT(self):
        self.serve("PUT")

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
