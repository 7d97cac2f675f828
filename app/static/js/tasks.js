// The alert at the top of every page while a background task of yours runs
// (an export of your posts): a progress bar moved by the task_progress
// notification, then the result, or the failure and a way to try again.
(function () {
  "use strict";
  var box = document.getElementById("task-alerts");
  var notifications = window.microblogNotifications;
  if (!box || !notifications) {
    return;
  }
  var element = notifications.element;
  var text = window.microblogText;
  var errors = text.get("errors", {});
  var stuckMs = (parseFloat(box.dataset.stuckSeconds) || 120) * 1000;
  var keepMs = (parseFloat(box.dataset.keepHours) || 24) * 3600 * 1000;
  var root = box.dataset.root || "";  // the site's path prefix, behind a proxy that sets one
  // The server's clock, not this computer's: notification times are the
  // server's, and a client clock ahead would make every running task look stopped.
  var skewMs = (parseFloat(box.dataset.serverTime) || Date.now() / 1000) * 1000 - Date.now();

  function serverNow() {
    return Date.now() + skewMs;
  }
  var DISMISSED = "microblog.dismissedTasks";
  var stuckTimer = null;

  function dismissed() {
    try {
      return JSON.parse(window.sessionStorage.getItem(DISMISSED) || "[]");
    } catch (e) {
      return [];
    }
  }

  function dismiss(taskId) {
    var ids = dismissed();
    ids.push(taskId);
    try {
      window.sessionStorage.setItem(DISMISSED, JSON.stringify(ids.slice(-20)));
    } catch (e) {
      // Storage refused (private mode): the alert just comes back on the next page.
    }
    box.replaceChildren();
  }


  function progressBar(percent) {
    var outer = element("div", "progress mt-2");
    outer.setAttribute("role", "progressbar");
    outer.setAttribute("aria-label", text.get("progress", "Progress"));
    outer.setAttribute("aria-valuemin", "0");
    outer.setAttribute("aria-valuemax", "100");
    outer.setAttribute("aria-valuenow", String(percent));
    var bar = element("div", "progress-bar", percent + "%");
    bar.style.width = percent + "%";  // CSSOM, which the CSP allows (a style attribute it would not)
    outer.appendChild(bar);
    return outer;
  }

  function retryForm() {
    var token = document.querySelector("input[name=csrf_token]");
    var form = element("form", "d-inline");
    form.method = "post";
    form.action = box.dataset.exportUrl || root + "/export_posts";
    if (token) {
      var copy = element("input");
      copy.type = "hidden";
      copy.name = "csrf_token";
      copy.value = token.value;
      form.appendChild(copy);
    }
    form.appendChild(element("button", "btn btn-sm btn-outline-danger ms-2", text.get("try_again", "Try again")));
    return form;
  }

  function render(task, item) {
    if (stuckTimer !== null) {
      window.clearTimeout(stuckTimer);
      stuckTimer = null;
    }
    box.replaceChildren();
    if (!task || dismissed().indexOf(task.task_id) !== -1) {
      return;
    }
    var state = task.state;
    var age = serverNow() - item.timestamp * 1000;
    if ((state === "complete" || state === "failed") && age > keepMs) {
      return;  // old news: the file is gone, and so is the alert
    }
    // A running task whose worker has been silent too long has stopped,
    // whatever the server has yet to notice.
    if (state === "running" && age > stuckMs) {
      state = "failed";
      task.error = "The worker stopped while running this task.";  // app/jobs/tasks.py STOPPED, translated below
    } else if (state === "running") {
      // A dead worker sends no more news, so no later poll would redraw
      // this: look again once it has been silent too long (a report in
      // between redraws first and clears this).
      stuckTimer = window.setTimeout(function () {
        render(task, item);
      }, stuckMs - age + 1000);
    }
    // The export's words come translated; another task's, from its English description.
    var isExport = task.name === "export_posts" && text.get("export_done");
    var kind = {queued: "info", running: "info", complete: "success", failed: "danger"}[state] || "info";
    var alert = element("div", "alert alert-" + kind + " task-alert");
    alert.setAttribute("role", "status");
    alert.id = "task-" + task.task_id;
    if (state === "queued" || state === "running") {
      alert.appendChild(element("span", null, isExport ? text.get(state === "queued" ? "export_waiting" : "export_running")
        : task.description + (state === "queued" ? ": waiting for a worker…" : "…")));
      alert.appendChild(progressBar(task.progress));
    } else {
      if (state === "complete") {
        alert.appendChild(element("span", null, (isExport ? text.get("export_done")
          : task.description.replace(/^Exporting/, "Exported") + ": done.") + " "));
        if (task.result_url) {
          var link = element("a", "alert-link", text.get("download", "Download the file"));
          link.href = root + task.result_url;
          alert.appendChild(link);
        }
      } else {
        var reason = task.error ? errors[task.error] || task.error : text.get("unknown_error", "unknown error");
        alert.appendChild(element("span", null, text.format(text.get("task_failed", "The task failed: {reason}"),
                                                            {reason: reason}) + " "));
        alert.appendChild(retryForm());
      }
      var close = element("button", "btn-close float-end");
      close.type = "button";
      close.setAttribute("aria-label", text.get("dismiss", "Dismiss"));
      close.addEventListener("click", function () {
        dismiss(task.task_id);
      });
      alert.insertBefore(close, alert.firstChild);
    }
    box.appendChild(alert);
  }

  notifications.handlers.task_progress = render;
})();
