// Northwind Coffee: fills the menu from data/menu.json.
// The JSON URL comes from the element's data-src, which the application
// renders from the origin-ingest manifest like every other asset URL.
(function () {
  "use strict";

  function money(cents) {
    return (cents / 100).toFixed(2);
  }

  function render(list, items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      var price = document.createElement("span");
      name.textContent = item.name;
      price.className = "price";
      price.textContent = money(item.price_cents);
      li.appendChild(name);
      li.appendChild(price);
      list.appendChild(li);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.querySelector(".menu");
    if (!list) return;
    fetch(list.getAttribute("data-src"))
      .then(function (r) {
        if (!r.ok) throw new Error("menu: HTTP " + r.status);
        return r.json();
      })
      .then(function (menu) { render(list, menu.items); })
      .catch(function (err) {
        list.textContent = "The menu is unavailable right now.";
        console.error(err);
      });
  });
})();
