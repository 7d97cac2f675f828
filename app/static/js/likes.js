// Sends a post's like/unlike form without a reload. Without this script the
// form posts normally and the server redirects back to the same page.
// The server answers JSON ({liked, likes, action}) when asked for it; the
// button, its count and the form's action then follow the new state.
(function () {
  "use strict";

  var text = window.microblogText;

  function plural(count) {
    return text.plural("likes", count, "{n} like", "{n} likes");
  }

  function show(form, state) {
    var button = form.querySelector(".like-button");
    var count = form.parentElement.querySelector(".like-count");
    form.action = state.action;
    button.textContent = state.liked ? text.get("unlike", "Unlike") : text.get("like", "Like");
    button.setAttribute("aria-pressed", state.liked ? "true" : "false");
    if (count) {
      count.textContent = plural(state.likes);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("like-form")) {
      return;
    }
    event.preventDefault();
    if (form.dataset.busy === "1") {
      return;  // one request at a time per post: the second click waits for the first
    }
    form.dataset.busy = "1";
    var button = form.querySelector(".like-button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: {Accept: "application/json"},
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("like failed: " + response.status);
      }
      return response.json();
    }).then(function (state) {
      show(form, state);
    }).catch(function () {
      form.submit();  // let the server's page say what went wrong
    }).finally(function () {
      form.dataset.busy = "";
      button.disabled = false;
    });
  });
})();
