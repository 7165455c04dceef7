// cloudfront-normalize-encoding.js - CloudFront Function (cloudfront-js-2.0,
// viewer request) for origind's zstd and dcz answers: folds the many
// Accept-Encoding values browsers send into a few, and keeps
// Available-Dictionary only where a dcz answer may follow, so that the cache
// key (deploy/cloudfront-dictionary.md) holds few variants per URL.
//
// Accept-Encoding becomes the one coding origind would choose among those
// it stores (br, then zstd, then gzip; q=0 refused), prefixed with "dcz, "
// when the browser offers dcz and a well-formed Available-Dictionary (a
// SHA-256 as an RFC 8941 byte sequence). Every other request loses
// Available-Dictionary. Tested by tests/e2e/cloudfront_function.sh.
function handler(event) {
    var req = event.request;
    var h = req.headers;
    var ae = h['accept-encoding'] ? h['accept-encoding'].value.toLowerCase() : '';
    var ok = {};
    var parts = ae.split(',');
    for (var i = 0; i < parts.length; i++) {
        var bits = parts[i].split(';');
        var name = bits[0].trim();
        var q = 1;
        for (var j = 1; j < bits.length; j++) {
            var p = bits[j].trim();
            if (p.indexOf('q=') === 0) {
                q = parseFloat(p.substring(2));
            }
        }
        if (name !== '' && q > 0) {
            ok[name] = true;
        }
    }
    var any = ok['*'] === true;
    var base = ok.br || any ? 'br' : ok.zstd ? 'zstd' : ok.gzip || ok['x-gzip'] ? 'gzip' : '';
    var ad = h['available-dictionary'] ? h['available-dictionary'].value.trim() : '';
    if (ok.dcz && /^:[A-Za-z0-9+\/]{43}=?:$/.test(ad)) {
        h['accept-encoding'] = { value: base === '' ? 'dcz' : 'dcz, ' + base };
        h['available-dictionary'] = { value: ad };
    } else {
        delete h['available-dictionary'];
        if (base === '') {
            delete h['accept-encoding'];
        } else {
            h['accept-encoding'] = { value: base };
        }
    }
    return req;
}
