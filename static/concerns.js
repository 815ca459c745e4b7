/* The raise form on a phone: photos straight from a camera are 3 to 8 MB each, three of them exceed
   what one request may carry (and a cheap data plan). Before sending, each photo larger than
   SHRINK_ABOVE is redrawn at most MAX_SIDE pixels on its long side as a JPEG (the server re-encodes
   and strips metadata anyway). Without JavaScript, or in a browser without canvas or DataTransfer,
   the form sends the files as they are. */
(function () {
  "use strict";
  var MAX_SIDE = 1600;
  var SHRINK_ABOVE = 1024 * 1024;
  var QUALITY = 0.85;

  /* The picture, decoded without a blob: URL (the CSP allows images only from 'self' and data:). */
  function decode(file) {
    if (window.createImageBitmap) return createImageBitmap(file);
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = reader.result;
      };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  function shrink(file) {
    if (!/^image\//.test(file.type) || file.size <= SHRINK_ABOVE) return Promise.resolve(file);
    return decode(file).then(function (img) {
      var width = img.naturalWidth || img.width, height = img.naturalHeight || img.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      if (img.close) img.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });
  }

  function onSubmit(event) {
    var form = event.target;
    var input = form.querySelector("input[type=file][data-shrink]");
    if (!input || !input.files || !input.files.length || form.dataset.shrunk === "1") return;
    if (typeof DataTransfer === "undefined" || !window.Promise) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    Promise.all(Array.prototype.map.call(input.files, shrink)).then(function (files) {
      var transfer = new DataTransfer();
      files.forEach(function (f) { transfer.items.add(f); });
      input.files = transfer.files;
    }).catch(function () { /* send the originals */ }).then(function () {
      form.dataset.shrunk = "1";
      if (button) button.disabled = false;
      if (form.requestSubmit) form.requestSubmit(button || undefined); else form.submit();
    });
  }

  document.addEventListener("submit", function (event) {
    if (event.target && event.target.matches && event.target.matches("form[data-shrink-photos]")) onSubmit(event);
  });
})();
