// Task actions. Each asks for confirmation first; the server's state machine decides, and a
// refusal is shown with the server's own message (e.g. "Invalid task status …").
import { call } from "./api.js";
import { h } from "./dom.js";
import { flash, navigate } from "./nav.js";

const tagList = (s) =>
  String(s || "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

export const ACTIONS = [
  {
    key: "stop",
    label: "Stop",
    endpoint: "tasks.stop",
    message: (t) => `Stop “${t.name}”? A running script is asked to abort.`,
    done: "Task stopped",
  },
  {
    key: "reset",
    label: "Reset",
    endpoint: "tasks.reset",
    message: (t) => `Reset “${t.name}”? Its logs, scalars, plots and artifacts are deleted and it goes back to draft.`,
    done: "Task reset",
    danger: true,
  },
  {
    key: "completed",
    label: "Mark completed",
    endpoint: "tasks.completed",
    message: (t) => `Mark “${t.name}” as completed?`,
    done: "Task marked completed",
  },
  {
    key: "failed",
    label: "Mark failed",
    endpoint: "tasks.failed",
    message: (t) => `Mark “${t.name}” as failed?`,
    done: "Task marked failed",
  },
  {
    key: "publish",
    label: "Publish",
    endpoint: "tasks.publish",
    message: (t) => `Publish “${t.name}”? A published task can no longer be changed.`,
    done: "Task published",
  },
  {
    key: "archive",
    label: "Archive",
    endpoint: "tasks.archive",
    body: (t) => ({ tasks: [t.id] }),
    message: (t) => `Archive “${t.name}”? It is hidden from the tasks table unless “Archived” is ticked.`,
    done: "Task archived",
  },
  {
    key: "clone",
    label: "Clone",
    endpoint: "tasks.clone",
    fields: (t) => [{ name: "new_task_name", label: "Name of the new task", value: `Clone of ${t.name}` }],
    body: (t, v) => ({ task: t.id, new_task_name: v.new_task_name }),
    message: (t) => `Clone “${t.name}” into a new draft task?`,
    done: "Task cloned",
    after: (t, reply) => reply && reply.id && navigate(`/tasks/${encodeURIComponent(reply.id)}`),
  },
  {
    key: "edit",
    label: "Edit",
    endpoint: "tasks.edit",
    fields: (t) => [
      { name: "name", label: "Name", value: t.name || "" },
      { name: "tags", label: "Tags (comma separated)", value: (t.tags || []).join(", ") },
      { name: "comment", label: "Comment", value: t.comment || "", multiline: true },
      { name: "force", label: "Force (edit even when the task is not a draft)", type: "checkbox" },
    ],
    body: (t, v) => ({ task: t.id, name: v.name, tags: tagList(v.tags), comment: v.comment, force: Boolean(v.force) }),
    message: () => "Change the task's name, tags and comment.",
    confirmLabel: "Save",
    done: "Task updated",
  },
  {
    key: "delete",
    label: "Delete",
    endpoint: "tasks.delete",
    message: (t) => `Delete “${t.name}” with its logs, scalars, plots and artifacts? This cannot be undone.`,
    done: "Task deleted",
    danger: true,
    after: (t) => navigate(t.project ? `/projects/${encodeURIComponent(typeof t.project === "object" ? t.project.id : t.project)}` : "/projects/*"),
  },
];

/**
 * A modal asking to confirm; fields are optional inputs. Resolves to the inputs' values, or
 * null when cancelled.
 */
export function confirmDialog({ title, message, fields = [], confirmLabel = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    const inputs = fields.map((f) => {
      const id = `dlg-${f.name}`;
      if (f.type === "checkbox") {
        const box = h("input", { type: "checkbox", id, name: f.name, checked: Boolean(f.value) });
        return { f, el: box, row: h("label", { class: "check", for: id }, box, " ", f.label) };
      }
      const el = f.multiline ? h("textarea", { id, name: f.name, rows: 3 }) : h("input", { id, name: f.name, type: "text" });
      el.value = f.value || "";
      return { f, el, row: h("div", { class: "field" }, h("label", { for: id }, f.label), el) };
    });
    const ok = h("button", { type: "submit", value: "ok", class: danger ? "danger" : "primary", id: "dialog-confirm" }, confirmLabel);
    const cancel = h("button", { type: "button", id: "dialog-cancel" }, "Cancel");
    const form = h("form", { method: "dialog" }, h("h2", null, title), h("p", null, message), inputs.map((i) => i.row), h("div", { class: "buttons" }, cancel, ok));
    const dialog = h("dialog", { class: "confirm", id: "confirm-dialog" }, form);
    let answered = false;
    const finish = (value) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", () => finish(null));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const values = {};
      for (const { f, el } of inputs) values[f.name] = f.type === "checkbox" ? el.checked : el.value;
      finish(values);
    });
    document.body.append(dialog);
    dialog.showModal();
    (inputs.length ? inputs[0].el : ok).focus();
  });
}

/** Ask, call, report. Resolves to true when the task changed. */
export async function runAction(action, task, onChanged) {
  const values = await confirmDialog({
    title: `${action.label}`,
    message: action.message(task),
    fields: action.fields ? action.fields(task) : [],
    confirmLabel: action.confirmLabel || action.label,
    danger: action.danger,
  });
  if (values === null) return false;
  const body = action.body ? action.body(task, values) : { task: task.id };
  let reply;
  try {
    reply = await call(action.endpoint, body);
  } catch (err) {
    if (err.code !== 401) flash(`Cannot ${action.label.toLowerCase()}: ${err.message}`, "error");
    return false;
  }
  if (action.after) {
    // Navigating clears the flash area, so the message goes on the page we land on.
    action.after(task, reply);
    flash(action.done, "ok");
  } else {
    flash(action.done, "ok");
    if (onChanged) await onChanged();
  }
  return true;
}

/** The row of action buttons for a task page. */
export function actionBar(getTask, onChanged) {
  return h(
    "div",
    { class: "actions", id: "task-actions" },
    ACTIONS.map((a) =>
      h("button", { type: "button", class: a.danger ? "danger-outline" : null, "data-action": a.key, onclick: () => runAction(a, getTask(), onChanged) }, a.label),
    ),
  );
}
