// User popups: hovering over (or focusing) an author's name in a list opens a
// Bootstrap popover with the fragment from <profile url>/popup. Its follow or
// unfollow button posts the form in the background and refreshes the popup.
// Without JavaScript the names are plain links to the profiles.
(function () {
  "use strict";
  if (!window.bootstrap || !bootstrap.Popover) {
    return;
  }
  var OPEN_DELAY = 400;  // ms: a pointer passing over a name opens nothing
  var CLOSE_DELAY = 250;  // ms: time to move from the name into the popup

  // Bootstrap's sanitizer keeps only allow-listed tags and attributes: add
  // what the fragment's follow form and its time element need.
  var allowList = Object.assign({}, bootstrap.Popover.Default.allowList, {
    form: ["action", "method"],
    input: ["type", "name", "value"],
    button: ["type"],
    time: ["datetime"]
  });

  function popupUrl(link) {
    return link.getAttribute("href").replace(/\/+$/, "") + "/popup";
  }

  function load(link) {
    return fetch(popupUrl(link), {headers: {Accept: "text/html"}, credentials: "same-origin"})
      .then(function (response) {
        // Redirected: the session has ended and this is the login page, not a popup.
        if (!response.ok || response.redirected) {
          throw new Error("popup " + response.status);
        }
        return response.text();
      });
  }

  function tipOf(link) {
    var id = link.getAttribute("aria-describedby");
    return id ? document.getElementById(id) : null;
  }

  function attach(link) {
    var popover = null;
    var openTimer = null;
    var closeTimer = null;

    function cancelClose() {
      window.clearTimeout(closeTimer);
      closeTimer = null;
    }

    function close() {
      window.clearTimeout(openTimer);
      cancelClose();
      closeTimer = window.setTimeout(function () {
        if (popover) {
          popover.hide();
        }
      }, CLOSE_DELAY);
    }

    // A new popover for every content: Bootstrap 5.3 hides a manual popover
    // that is shown again while open (its hover bookkeeping), so refreshing
    // one in place (setContent, then show) closed it at once. A refresh
    // (``again``) appears without the fade, so the card does not blink.
    function show(html, again) {
      if (popover) {
        popover.dispose();
      }
      // In the name's own line, not at the end of <body>: Tab goes from the
      // name into the popup, so its button can be reached from the keyboard.
      popover = new bootstrap.Popover(link, {
        content: html, html: true, trigger: "manual", placement: "auto", allowList: allowList,
        customClass: "user-popover", container: link.parentNode, animation: !again
      });
      popover.show();
    }

    function isOpen() {
      var tip = tipOf(link);
      return Boolean(tip && tip.classList.contains("show"));
    }

    function open() {
      cancelClose();
      if (isOpen()) {
        return;  // back from the popup to the name: it stays as it is
      }
      window.clearTimeout(openTimer);
      openTimer = window.setTimeout(function () {
        load(link).then(function (html) {
          show(html, false);
        }).catch(function () {
          // No popup (the user is gone, the network failed): the link still works.
        });
      }, OPEN_DELAY);
    }

    function submit(event) {
      var form = event.target;
      var hadFocus = form.contains(document.activeElement);
      event.preventDefault();
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) {
            throw new Error("follow " + response.status);
          }
          return load(link);
        })
        .then(function (html) {
          show(html, true);
          var button = hadFocus && tipOf(link) && tipOf(link).querySelector("button");
          if (button) {
            button.focus();  // the old one went with the old popup: keep the keyboard's place
          }
        })
        .catch(function () {
          form.submit();  // fall back to the page's own answer
        });
    }

    function closeOnEscape(event) {
      if (event.key !== "Escape") {
        return;
      }
      window.clearTimeout(openTimer);
      if (popover) {
        if (tipOf(link) && tipOf(link).contains(document.activeElement)) {
          link.focus();  // not lost with the popup
        }
        popover.hide();
      }
    }

    link.addEventListener("inserted.bs.popover", function () {
      var tip = tipOf(link);
      if (tip) {
        tip.addEventListener("mouseenter", cancelClose);
        tip.addEventListener("mouseleave", close);
        tip.addEventListener("focusin", cancelClose);
        tip.addEventListener("focusout", close);
        tip.addEventListener("submit", submit);
        tip.addEventListener("keydown", closeOnEscape);
      }
      if (window.microblogDates) {
        window.microblogDates.refresh();  // its "Last seen" in the reader's time zone
      }
    });

    link.addEventListener("mouseenter", open);
    link.addEventListener("focus", open);
    link.addEventListener("mouseleave", close);
    link.addEventListener("blur", close);
    link.addEventListener("keydown", closeOnEscape);
  }

  document.querySelectorAll("a.user-popup").forEach(attach);
})();
