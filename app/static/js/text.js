// The words the other scripts write, in the page's language: base.html puts
// them as JSON in the data-texts attribute of #microblog-text
// (app/i18n/client.py), since a script cannot call gettext. Loaded before the scripts that use it.
(function () {
  "use strict";
  var texts = {};
  var block = document.getElementById("microblog-text");
  try {
    texts = block ? JSON.parse(block.dataset.texts || "{}") : {};
  } catch (e) {
    texts = {};  // a broken block leaves the fallbacks below: English
  }
  var language = document.documentElement.lang || "en";
  var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(language) : null;

  // "{name} replied" with {name: "ann"}: values are put in as text, and the
  // result goes into textContent, never into HTML.
  function format(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function get(key, fallback) {
    return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : fallback;
  }

  // The catalogue's "one" or "other" form for n, as the page's language counts.
  function plural(key, n, fallbackOne, fallbackOther) {
    var forms = get(key, {one: fallbackOne, other: fallbackOther});
    var form = rules ? rules.select(n) : (n === 1 ? "one" : "other");
    return format(forms[form] || forms.other, {n: n});
  }

  window.microblogText = {get: get, format: format, plural: plural};
})();
