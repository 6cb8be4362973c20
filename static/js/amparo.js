/* Amparo: small enhancements. Every page works without this file. */
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");

  var KEY = "amparo.saved";
  var CLEAR_KEY = "amparo.clearOnExit";
  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, value);
    } catch (e) { /* private mode */ }
  }

  /* Quick exit: replace this page with a neutral site, so Back does not return here. Every page
     of Amparo replaced the one before it (below), so Back goes to the page before Amparo. */
  function quickExit(event) {
    if (event) event.preventDefault();
    var target = document.body.getAttribute("data-quick-exit");
    if (stored(CLEAR_KEY) === "1") {
      store(KEY, null);
      store(CLEAR_KEY, null);
      document.cookie = "lang=; Max-Age=0; Path=/; SameSite=Lax";
    }
    try { document.title = ""; document.body.textContent = ""; } catch (e) { /* keep going */ }
    window.location.replace(target);
  }

  /* One entry in the browser's history: links to our own pages and searches replace the current
     entry instead of adding one. Phone, text and outside links behave as usual. */
  function sameSite(url) {
    return url.origin === window.location.origin && (url.protocol === "http:" || url.protocol === "https:");
  }
  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link.id === "quick-exit" || link.target || link.hasAttribute("download")) return;
    var url = new URL(link.href, window.location.href);
    if (!sameSite(url)) return;
    if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return;
    event.preventDefault();
    window.location.replace(url.href);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.method || "get").toLowerCase() !== "get") return;
    var url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    if (!sameSite(url)) return;
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { params.append(name, value); });
    if (event.submitter && event.submitter.name) params.append(event.submitter.name, event.submitter.value);
    url.search = params.toString();
    event.preventDefault();
    window.location.replace(url.href);
  });
  var exitLink = document.getElementById("quick-exit");
  if (exitLink) exitLink.addEventListener("click", quickExit);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1500) quickExit(event);
    lastEscape = now;
  });

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
      if (el.id !== "location-status") el.hidden = false;
    });
    useMyLocation();
    shareAndPrint();
    savedList();
    clearOnExit();
    lazyMap();
    filterLists();
  }

  /* A box that narrows a long list of checkboxes as one types (the list works without it). */
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function filterLists() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-filter-list]"), function (box) {
      var list = document.getElementById(box.getAttribute("data-filter-list"));
      var empty = document.querySelector("[data-filter-empty='" + list.id + "']");
      box.addEventListener("input", function () {
        var wanted = fold(box.value.trim());
        var shown = 0;
        Array.prototype.forEach.call(list.children, function (item) {
          var checked = item.querySelector("input:checked");
          var match = !wanted || checked || fold(item.textContent).indexOf(wanted) !== -1;
          item.hidden = !match;
          if (match) shown += 1;
        });
        if (empty) empty.hidden = shown > 0;
      });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter") event.preventDefault();  /* Enter in the box must not save the form */
      });
    });
  }

  /* "Clear my list on Quick exit": a choice kept in this browser. On by default once a person
     searches for help after violence, unless they turned it off. */
  function clearOnExit() {
    if (document.body.getAttribute("data-sensitive") === "1" && stored(CLEAR_KEY) === null) store(CLEAR_KEY, "1");
    var box = document.getElementById("clear-on-exit");
    if (!box) return;
    box.checked = stored(CLEAR_KEY) === "1";
    box.addEventListener("change", function () { store(CLEAR_KEY, box.checked ? "1" : "0"); });
  }

  /* "Use my location": rounded to about 1 km, so the exact spot never leaves the phone. */
  function useMyLocation() {
    var button = document.getElementById("use-location");
    var input = document.getElementById("location");
    var status = document.getElementById("location-status");
    if (!button || !input) return;
    if (!("geolocation" in navigator)) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      status.hidden = false;
      status.textContent = button.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (position) {
        input.value = position.coords.latitude.toFixed(2) + "," + position.coords.longitude.toFixed(2);
        status.textContent = "";
        status.hidden = true;
        input.focus();
      }, function () {
        status.textContent = button.getAttribute("data-failed");
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 });
    });
  }

  function shareAndPrint() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-share]"), function (button) {
      button.addEventListener("click", function () {
        var url = window.location.href;
        var done = function () { button.textContent = button.getAttribute("data-done"); };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(url).then(done, function () { window.prompt("", url); });
        } else {
          window.prompt("", url);
        }
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  /* My list: only in this browser's localStorage, never sent to the server. */
  function readList() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function writeList(items) {
    try { window.localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { /* private mode */ }
  }
  function savedList() {
    var items = readList();
    Array.prototype.forEach.call(document.querySelectorAll("[data-save]"), function (button) {
      var id = button.getAttribute("data-save");
      var mark = function () { button.textContent = "★ " + button.getAttribute("data-saved"); button.setAttribute("aria-pressed", "true"); };
      if (items.some(function (item) { return item.id === id; })) mark();
      button.addEventListener("click", function () {
        var list = readList();
        if (!list.some(function (item) { return item.id === id; })) {
          list.push({ id: id, name: button.getAttribute("data-name"), phone: button.getAttribute("data-phone") });
          writeList(list);
        }
        mark();
      });
    });
    var box = document.getElementById("my-list");
    if (!box) return;
    var clear = document.getElementById("clear-list");
    function render() {
      var list = readList();
      box.textContent = "";
      if (!list.length) {
        var empty = document.createElement("p");
        empty.textContent = box.getAttribute("data-empty");
        box.appendChild(empty);
        if (clear) clear.hidden = true;
        return;
      }
      var ul = document.createElement("ul");
      ul.className = "plain";
      list.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "card";
        var link = document.createElement("a");
        link.href = "/provider/" + encodeURIComponent(item.id);
        link.textContent = item.name;
        li.appendChild(link);
        if (item.phone) {
          var call = document.createElement("a");
          call.className = "btn secondary";
          call.href = "tel:" + item.phone.replace(/[^0-9+]/g, "");
          call.textContent = box.getAttribute("data-call") + " ";
          var digits = document.createElement("span");
          digits.dir = "ltr";
          digits.textContent = item.phone;
          call.appendChild(digits);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(call);
        }
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn secondary";
        remove.textContent = box.getAttribute("data-remove");
        remove.addEventListener("click", function () {
          writeList(readList().filter(function (other) { return other.id !== item.id; }));
          render();
        });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(remove);
        ul.appendChild(li);
      });
      box.appendChild(ul);
      if (clear) clear.hidden = false;
    }
    if (clear) clear.addEventListener("click", function () { writeList([]); render(); });
    render();
  }

  /* The map: Leaflet loads only when the map is opened. Tiles only if an operator set a server. */
  function lazyMap() {
    var box = document.getElementById("map");
    if (!box) return;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = box.getAttribute("data-leaflet-css");
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = box.getAttribute("data-leaflet-js");
    script.onload = function () { drawMap(box); };
    document.head.appendChild(script);
  }
  function drawMap(box) {
    var L = window.L;
    var center = box.getAttribute("data-center").split(",").map(Number);
    var map = L.map(box, { attributionControl: false }).setView(center, 11);
    var tiles = box.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
      var attribution = box.getAttribute("data-attribution");
      if (attribution) L.control.attribution({ prefix: false }).addAttribution(attribution).addTo(map);
    }
    var bounds = [center];
    L.circleMarker(center, { radius: 7, color: "#b3261e", weight: 3, fillOpacity: 0.9 }).addTo(map);
    Array.prototype.forEach.call(box.querySelectorAll("li[data-lat]"), function (item) {
      var point = [Number(item.getAttribute("data-lat")), Number(item.getAttribute("data-lon"))];
      var link = document.createElement("a");
      link.href = item.getAttribute("data-url");
      link.textContent = item.getAttribute("data-name");
      L.circleMarker(point, { radius: 8, color: "#073f45", weight: 2, fillColor: "#0b5d66", fillOpacity: 0.85 })
        .bindPopup(link).addTo(map);
      bounds.push(point);
    });
    if (bounds.length > 1) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14 });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
