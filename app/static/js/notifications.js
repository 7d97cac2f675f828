// Keeps the navbar's unread-messages badge current without a reload.
// Polls GET /notifications?since=<unix time> every data-poll-seconds, and not
// at all while the tab is hidden (hundreds of idle tabs must cost nothing).
(function () {
  "use strict";
  var body = document.body;
  var url = body.dataset.notificationsUrl;
  if (!url) {
    return;  // not logged in
  }
  var interval = Math.max(1, parseFloat(body.dataset.pollSeconds) || 10) * 1000;
  var since = 0;  // floats end to end: the newest timestamp seen, as the server sent it
  var timer = null;
  var inFlight = false;
  var loggedOut = false;

  var handlers = {
    unread_message_count: function (count) {
      var badge = document.getElementById("message-count");
      if (!badge) {
        return;
      }
      badge.textContent = String(count);
      badge.classList.toggle("d-none", !count);
    }
  };

  function apply(items) {
    items.forEach(function (item) {
      if (item.timestamp > since) {
        since = item.timestamp;
      }
      var handler = handlers[item.name];
      if (handler) {
        handler(item.data, item);
      }
    });
  }

  function poll() {
    if (inFlight || loggedOut || document.hidden) {
      return;
    }
    inFlight = true;
    fetch(url + "?since=" + encodeURIComponent(since), {
      headers: {Accept: "application/json"},
      credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 401) {
        loggedOut = true;  // logged out elsewhere: nothing more to ask for, ever
        stop();
        return [];
      }
      return response.ok ? response.json() : [];
    }).then(apply).catch(function () {
      // A network blip: the next tick tries again.
    }).finally(function () {
      inFlight = false;
    });
  }

  function start() {
    if (timer === null && !loggedOut) {
      timer = window.setInterval(poll, interval);
    }
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      stop();
    } else {
      poll();  // catch up at once on coming back
      start();
    }
  });

  // For the scripts that show notifications as alerts (tasks.js, replies.js):
  // text through textContent, never markup.
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  window.microblogNotifications = {handlers: handlers, poll: poll, element: element};
  // The first poll waits for the page's other scripts, which add handlers
  // (tasks.js: the progress alert).
  function begin() {
    poll();
    start();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", begin);
  } else {
    begin();
  }
})();
