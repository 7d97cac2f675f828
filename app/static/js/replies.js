// Tells you, on whatever page you have open, that someone answered one of
// your posts: the "new_reply" notification (app/posts/service.py) becomes an
// alert with a link to the reply. Only news newer than this page is shown;
// the reply itself is on the post's page either way.
(function () {
  "use strict";
  var notifications = window.microblogNotifications;
  var box = document.getElementById("task-alerts");
  if (!notifications || !box) {
    return;
  }
  var pageTime = parseFloat(box.dataset.serverTime) || Date.now() / 1000;
  var root = box.dataset.root || "";

  var element = notifications.element;

  notifications.handlers.new_reply = function (data, item) {
    if (!data || item.timestamp <= pageTime || document.getElementById("reply-alert-" + data.post_id)) {
      return;
    }
    var alert = element("div", "alert alert-info alert-dismissible reply-alert");
    alert.setAttribute("role", "status");
    alert.id = "reply-alert-" + data.post_id;
    alert.appendChild(element("span", null, data.from + " replied to your post. "));
    var link = element("a", "alert-link", "See the reply");
    link.href = root + "/post/" + encodeURIComponent(data.post_id);
    alert.appendChild(link);
    var close = element("button", "btn-close");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.addEventListener("click", function () {
      alert.remove();
    });
    alert.appendChild(close);
    box.appendChild(alert);
  };
})();
