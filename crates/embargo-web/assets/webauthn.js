// Embargo's WebAuthn script: the one thing on the pages that needs script.
// A form marked data-webauthn="register" or "authenticate" carries the
// server's options (JSON, binary fields in base64url) in data-options; the
// button asks the browser for a passkey or security key and sends its answer
// back in the form's hidden "credential" field. Without script the form's
// message says so, and codes still work.
"use strict";

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = atob(padded);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
  return out.buffer;
}

function toBase64url(buffer) {
  if (!buffer) return null;
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Drops nulls, which the browser's option dictionaries refuse.
function withoutNulls(value) {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
    return out;
  }
  return value;
}

function credentialIds(list) {
  return (list || []).map((c) => Object.assign({}, c, { id: fromBase64url(c.id) }));
}

async function register(options) {
  const publicKey = withoutNulls(options.publicKey);
  publicKey.challenge = fromBase64url(publicKey.challenge);
  publicKey.user.id = fromBase64url(publicKey.user.id);
  publicKey.excludeCredentials = credentialIds(publicKey.excludeCredentials);
  const credential = await navigator.credentials.create({ publicKey });
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: toBase64url(response.attestationObject),
      clientDataJSON: toBase64url(response.clientDataJSON),
      transports: typeof response.getTransports === "function" ? response.getTransports() : undefined,
    },
    extensions: credential.getClientExtensionResults(),
  };
}

async function authenticate(options) {
  const publicKey = withoutNulls(options.publicKey);
  publicKey.challenge = fromBase64url(publicKey.challenge);
  publicKey.allowCredentials = credentialIds(publicKey.allowCredentials);
  const credential = await navigator.credentials.get({ publicKey });
  const response = credential.response;
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: toBase64url(response.authenticatorData),
      clientDataJSON: toBase64url(response.clientDataJSON),
      signature: toBase64url(response.signature),
      userHandle: toBase64url(response.userHandle),
    },
    extensions: credential.getClientExtensionResults(),
  };
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-webauthn]")) {
    const message = form.querySelector("[data-webauthn-message]");
    const button = form.querySelector("[data-webauthn-start]");
    const say = (text) => {
      message.textContent = text;
      message.hidden = !text;
    };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say("This browser cannot use passkeys or security keys. Use a code instead.");
      continue;
    }
    say("");
    button.hidden = false;
    button.addEventListener("click", async () => {
      button.disabled = true;
      say("Follow your browser's prompt to use your key.");
      try {
        const options = JSON.parse(form.dataset.options);
        const answer = form.dataset.webauthn === "register" ? await register(options) : await authenticate(options);
        form.querySelector("input[name=credential]").value = JSON.stringify(answer);
        form.submit();
      } catch (error) {
        say("The key did not answer (" + error.name + "). Try again, or use a code instead.");
        button.disabled = false;
      }
    });
  }
});
