// The sign-in page: posts a user name and password, or a token, to /api/v1/session as JSON; the
// server answers with an HttpOnly, SameSite=Strict session cookie, and the page goes back to the
// dashboard (to the part of it the visitor was sent away from, if it is one of its own routes).
"use strict";

const error = document.getElementById("error");

function back() {
  const next = new URLSearchParams(location.search).get("next") || "";
  // Only a hash route of the dashboard: never an address elsewhere.
  location.assign("/" + (/^#\/[\w\-/?=&.%]*$/.test(next) ? next : ""));
}

async function signIn(body) {
  error.textContent = "";
  try {
    const res = await fetch("/api/v1/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.ok) {
      back();
      return;
    }
    const json = await res.json().catch(() => null);
    const detail = json && json.detail;
    error.textContent = Array.isArray(detail) ? detail.map((d) => d.msg).join("; ") : detail || res.statusText;
  } catch (e) {
    error.textContent = "The server did not answer: " + e.message;
  }
}

document.getElementById("with-password").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn({ username: document.getElementById("username").value, password: document.getElementById("password").value });
});
document.getElementById("with-token").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn({ token: document.getElementById("token").value.trim() });
});
