/* goalsite: a little help for the timeline and search. Pages work without it.
   No network, no storage, no innerHTML: text goes in as text. */
(function () {
"use strict";

function goalsiteTimelineFilter() {
  var timeline = document.getElementById("timeline");
  var filters = document.querySelector("nav.filters");
  if (!timeline || !filters || document.body.dataset.goalFilter) return;
  var links = filters.querySelectorAll("a[data-goal]");
  if (!links.length) return;
  var label = document.createElement("label");
  label.textContent = "Show: ";
  var select = document.createElement("select");
  select.id = "timeline-filter";
  var all = document.createElement("option");
  all.value = "";
  all.textContent = "every goal";
  select.appendChild(all);
  links.forEach(function (link) {
    var option = document.createElement("option");
    option.value = link.dataset.goal;
    option.textContent = link.textContent;
    if (link.getAttribute("aria-current") === "page") option.selected = true;
    select.appendChild(option);
  });
  label.appendChild(select);
  filters.replaceChildren(label);
  function apply() {
    var goal = select.value;
    timeline.querySelectorAll("li.event").forEach(function (item) {
      var goals = (item.dataset.goals || "").split(" ");
      item.hidden = goal !== "" && goals.indexOf(goal) === -1;
    });
    timeline.querySelectorAll("section").forEach(function (section) {
      section.hidden = !section.querySelector("li.event:not([hidden])");
    });
  }
  select.addEventListener("change", apply);
  document.body.dataset.goalFilter = "on";
  apply();
}

function goalsiteSearch() {
  var form = document.getElementById("search-form");
  if (!form) return;
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var root = document.querySelector('link[rel="stylesheet"]').getAttribute("href").replace("assets/goalsite.css", "");
  var records = (window.goalsiteSearchIndex || []).map(function (record) {
    return { record: record, text: (record.t + " " + record.x).toLowerCase() };
  });
  function run() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    results.replaceChildren();
    if (!words.length) { status.textContent = ""; return; }
    var found = records.filter(function (item) {
      return words.every(function (word) { return item.text.indexOf(word) !== -1; });
    });
    status.textContent = found.length === 1 ? "1 match" : found.length + " matches";
    found.slice(0, 100).forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + item.record.u;
      a.textContent = item.record.t;
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = " · " + item.record.k;
      li.appendChild(a);
      li.appendChild(meta);
      results.appendChild(li);
    });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  input.addEventListener("input", run);
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; }
  run();
}

document.addEventListener("DOMContentLoaded", function () {
  goalsiteTimelineFilter();
  goalsiteSearch();
});
}());
