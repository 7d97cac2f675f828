// The Translate link under a post in another language than the page's.
// Without this script it is a plain link to the post's page. With it, a
// click asks POST /translate (JSON, the CSRF token from <meta name=csrf-token>
// in X-CSRFToken) and puts the translation in the post's body as text: it is
// the provider's output, never to be read as HTML. The link then says "Show
// original", which puts the body's own nodes back. A failure is shown beside
// the link, in the server's words (its problem's detail, else its title), or
// in the page's own fallback when no answer came; the body stays as it was.
(function () {
  "use strict";

  var words = window.microblogText;

  function word(key, fallback) {
    return words ? words.get(key, fallback) : fallback;
  }

  function token() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function say(link, message) {
    var note = link.parentElement.querySelector(".translate-error");
    if (!message) {
      if (note) {
        note.remove();
      }
      return;
    }
    if (!note) {
      note = document.createElement("span");
      note.className = "translate-error text-danger";
      note.setAttribute("role", "status");
      link.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
  }

  var originals = new WeakMap();  // a translated body -> its own nodes, to put back

  function showOriginal(link, body) {
    body.textContent = "";
    body.appendChild(originals.get(body));
    originals.delete(body);
    body.removeAttribute("lang");
    link.textContent = word("translate", "Translate");
    link.dataset.state = "";
  }

  function showTranslation(link, body, answer) {
    var saved = document.createDocumentFragment();
    while (body.firstChild) {
      saved.appendChild(body.firstChild);
    }
    originals.set(body, saved);
    body.textContent = answer.text;
    body.lang = answer.dest;
    link.textContent = word("show_original", "Show original");
    link.dataset.state = "translated";
  }

  function translate(link, body) {
    link.dataset.busy = "1";
    link.setAttribute("aria-busy", "true");
    var fallback = word("translate_failed", "Translation is not available right now");
    fetch(document.body.dataset.translateUrl || "/translate", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token()},
      body: JSON.stringify({post_id: Number(link.dataset.postId), dest: link.dataset.dest})
    }).then(function (response) {
      return response.json().catch(function () {
        return null;
      }).then(function (data) {
        if (response.ok && data && typeof data.text === "string") {
          say(link, "");
          showTranslation(link, body, data);
        } else {
          say(link, (data && (data.detail || data.title)) || fallback);
        }
      });
    }).catch(function () {
      say(link, fallback);  // no answer at all: the network, or the server is gone
    }).finally(function () {
      link.dataset.busy = "";
      link.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".translate-action") : null;
    var post = link ? link.closest(".post") : null;
    var body = post ? post.querySelector(".post-body") : null;
    if (!body) {
      return;
    }
    event.preventDefault();
    if (link.dataset.busy === "1") {
      return;  // one request at a time per post
    }
    if (link.dataset.state === "translated") {
      showOriginal(link, body);
    } else {
      translate(link, body);
    }
  });
})();
