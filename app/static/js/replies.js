// Tells you, on whatever page you have open, that someone answered one of
// your posts or mentioned you: the notification becomes an alert with a link
// to that post. Only news newer than this page is shown;
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
  var text = window.microblogText;

  // One alert per post and kind: "new_reply" (app/posts/service.py) and
  // "new_mention" (app/posts/content.py) both carry the post's id and who wrote it.
  function show(kind, sentence, linkText) {
    return function (data, item) {
      var id = kind + "-alert-" + (data && data.post_id);
      if (!data || item.timestamp <= pageTime || document.getElementById(id)) {
        return;
      }
      var alert = element("div", "alert alert-info alert-dismissible " + kind + "-alert");
      alert.setAttribute("role", "status");
      alert.id = id;
      alert.appendChild(element("span", null, text.format(sentence, {name: data.from}) + " "));
      var link = element("a", "alert-link", linkText);
      link.href = root + "/post/" + encodeURIComponent(data.post_id);
      alert.appendChild(link);
      var close = element("button", "btn-close");
      close.type = "button";
      close.setAttribute("aria-label", text.get("close", "Close"));
      close.addEventListener("click", function () {
        alert.remove();
      });
      alert.appendChild(close);
      box.appendChild(alert);
    };
  }

  notifications.handlers.new_reply = show("reply", text.get("replied", "{name} replied to your post."),
                                          text.get("see_reply", "See the reply"));
  notifications.handlers.new_mention = show("mention", text.get("mentioned", "{name} mentioned you."),
                                            text.get("see_post", "See the post"));
})();
