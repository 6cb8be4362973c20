/* Amparo: small enhancements. Every page works without this file. */
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.classList.add("js");

  /* Quick exit: replace this page with a neutral site, so Back does not return here. */
  function quickExit(event) {
    if (event) event.preventDefault();
    var target = document.body.getAttribute("data-quick-exit");
    try { document.title = ""; document.body.textContent = ""; } catch (e) { /* keep going */ }
    window.location.replace(target);
  }
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
    lazyMap();
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
  var KEY = "amparo.saved";
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
          call.textContent = box.getAttribute("data-call") + " " + item.phone;
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
