// Login with an access key + secret key (what `taskyard serve` prints); the reply sets the cookie.
import { login } from "./api.js";
import { h } from "./dom.js";
import { navigate, setCrumbs } from "./nav.js";

export async function loginView(main, ctx) {
  setCrumbs([{ text: "Log in" }]);
  const key = h("input", { id: "access-key", name: "access_key", autocomplete: "username", required: true, autofocus: true });
  const secret = h("input", { id: "secret-key", name: "secret_key", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h(
    "form",
    { class: "login card", id: "login-form" },
    h("h1", null, "Log in to taskyard"),
    h("label", { for: "access-key" }, "Access key"),
    key,
    h("label", { for: "secret-key" }, "Secret key"),
    secret,
    error,
    submit,
    h("p", { class: "muted small" }, "Use the credentials printed by ", h("code", null, "taskyard serve"), " or made with ", h("code", null, "taskyard credentials create"), "."),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      await login(key.value.trim(), secret.value.trim());
      const next = ctx.params.get("next");
      // Only same-site paths: `next` comes from the URL and must not send the user elsewhere.
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", true);
    } catch (err) {
      error.textContent = err.message || "Login failed";
      submit.disabled = false;
    }
  });
  main.append(form);
}
