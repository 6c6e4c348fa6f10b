// Runs in the report page: draws every chart from the embedded model with the inlined chart.js.
(function () {
  'use strict';
  var model = JSON.parse(document.getElementById('isobench-data').textContent);
  // one colour per target, the same in every chart; all readable on white
  var palette = ['#1f5fbf', '#d95f02', '#1a7f37', '#7b3fb5', '#c62828', '#00838f', '#8c564b', '#c2185b', '#5d6d00', '#37474f'];
  var colours = {};
  var next = 0;
  function colour(target) {
    if (!(target in colours)) colours[target] = target === 'native' ? '#222222' : palette[next++ % palette.length];
    return colours[target];
  }
  if (model.scenarios.some(function (s) { return s.measured.some(function (t) { return t.target === 'native'; }); })) colour('native');

  function formatUs(us) {
    if (us == null || !isFinite(us)) return '—';
    if (us === 0) return '0';
    if (us < 1000) return (us < 10 ? us.toFixed(1) : Math.round(us)) + ' µs';
    if (us < 1e6) return (us < 1e4 ? (us / 1000).toFixed(2) : (us / 1000).toFixed(1)) + ' ms';
    return (us / 1e6).toFixed(2) + ' s';
  }
  function formatBytes(b) {
    var units = ['B', 'KiB', 'MiB', 'GiB'];
    var i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return (Number.isInteger(b) ? b : b.toFixed(1)) + ' ' + units[i];
  }
  function percentLabel(x) {
    // x = 1/(1-p): 1 → 0%, 10 → 90%, 100 → 99%, 1000 → 99.9% …
    var decades = Math.round(Math.log10(x));
    if (Math.abs(Math.log10(x) - decades) > 1e-9) return '';
    if (decades === 0) return '0%';
    return (100 - Math.pow(10, 2 - decades)).toFixed(Math.max(0, decades - 2)) + '%';
  }

  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.color = '#1d2330';
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

  // A value axis: linear from 0, or (when the model says targets differ by 10x or more) logarithmic
  // from the power of ten below the smallest value, labelled at 1, 2 and 5 of each decade.
  function valueAxis(scale, values, title, format) {
    if (scale !== 'logarithmic') return { beginAtZero: true, title: { display: true, text: title }, ticks: { callback: function (v) { return format(v); } } };
    var positive = values.filter(function (v) { return typeof v === 'number' && v > 0; });
    var min = Math.pow(10, Math.floor(Math.log10(Math.min.apply(null, positive.length ? positive : [1]))));
    return {
      type: 'logarithmic',
      min: min,
      title: { display: true, text: title + ' (log scale)' },
      ticks: {
        autoSkip: false,
        callback: function (v) {
          var m = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
          return [1, 2, 5].some(function (k) { return Math.abs(m - k) < 1e-6; }) ? format(v) : '';
        },
      },
    };
  }

  var drawn = 0;
  function make(canvas, config) {
    new Chart(canvas, config);
    drawn++;
  }

  function spectrum(canvas, s) {
    var rows = s.measured.filter(function (t) { return t.spectrum.length > 0; });
    var maxX = Math.max.apply(null, rows.map(function (t) { return t.spectrum[t.spectrum.length - 1][0]; }));
    make(canvas, {
      type: 'line',
      data: {
        datasets: rows.map(function (t) {
          return {
            label: t.target,
            data: t.spectrum.map(function (p) { return { x: p[0], y: p[1] }; }),
            borderColor: colour(t.target),
            backgroundColor: colour(t.target),
            borderWidth: 2,
            pointRadius: 0,
            stepped: false,
          };
        }),
      },
      options: {
        parsing: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: {
            type: 'logarithmic',
            min: 1,
            max: Math.pow(10, Math.ceil(Math.log10(Math.max(10, maxX)))),
            title: { display: true, text: 'percentile' },
            ticks: { autoSkip: false, maxRotation: 0, callback: function (v) { return percentLabel(v); } },
            grid: { color: function (ctx) { return ctx.tick && percentLabel(ctx.tick.value) ? '#d0d4dc' : 'transparent'; } },
          },
          y: valueAxis(s.latencyScale, [].concat.apply([], rows.map(function (t) { return t.spectrum.map(function (p) { return p[1]; }); })), 'latency', formatUs),
        },
        plugins: {
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? 'p' + (100 * (1 - 1 / items[0].parsed.x)).toFixed(4).replace(/\.?0+$/, '') : ''; },
              label: function (item) { return item.dataset.label + ': ' + formatUs(item.parsed.y); },
            },
          },
        },
      },
    });
  }

  function percentiles(canvas, s) {
    var keys = [['p50', '#7fa7e0'], ['p90', '#2f6fd0'], ['p99', '#0d3a80']];
    make(canvas, {
      type: 'bar',
      data: {
        labels: s.measured.map(function (t) { return t.target; }),
        datasets: keys.map(function (k) {
          return { label: k[0], data: s.measured.map(function (t) { return t[k[0]]; }), backgroundColor: k[1] };
        }),
      },
      options: {
        scales: { y: valueAxis(s.latencyScale, [].concat.apply([], s.measured.map(function (t) { return [t.p50, t.p90, t.p99]; })), 'latency', formatUs) },
        plugins: { tooltip: { callbacks: { label: function (item) { return item.dataset.label + ': ' + formatUs(item.parsed.y); } } } },
      },
    });
  }

  function throughput(canvas, s) {
    make(canvas, {
      type: 'bar',
      data: {
        labels: s.measured.map(function (t) { return t.target; }),
        datasets: [{
          label: 'req/s',
          data: s.measured.map(function (t) { return t.rps == null ? 0 : t.rps; }),
          backgroundColor: s.measured.map(function (t) { return colour(t.target); }),
        }],
      },
      options: {
        indexAxis: 'y',
        plugins: { legend: { display: false } },
        scales: { x: valueAxis(s.throughputScale, s.measured.map(function (t) { return t.rps; }), 'requests per second', function (v) { return String(v); }) },
      },
    });
  }

  function sweep(canvas, sw) {
    make(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'p50', yAxisID: 'y', data: sw.points.filter(function (p) { return p.p50Us != null; }).map(function (p) { return { x: p.thresholdBytes, y: p.p50Us }; }), borderColor: '#7fa7e0', backgroundColor: '#7fa7e0' },
          { label: 'p99', yAxisID: 'y', data: sw.points.filter(function (p) { return p.p99Us != null; }).map(function (p) { return { x: p.thresholdBytes, y: p.p99Us }; }), borderColor: '#0d3a80', backgroundColor: '#0d3a80' },
          { label: 'full resets', yAxisID: 'frac', borderDash: [6, 4], data: sw.points.filter(function (p) { return p.fullResetFraction != null; }).map(function (p) { return { x: p.thresholdBytes, y: 100 * p.fullResetFraction }; }), borderColor: '#d95f02', backgroundColor: '#d95f02' },
        ],
      },
      options: {
        parsing: false,
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'threshold' }, ticks: { callback: function (v) { return Math.log2(v) % 1 === 0 ? formatBytes(v) : ''; } } },
          y: { beginAtZero: true, title: { display: true, text: 'latency' }, ticks: { callback: function (v) { return formatUs(v); } } },
          frac: { position: 'right', min: 0, max: 100, title: { display: true, text: 'full resets (%)' }, grid: { drawOnChartArea: false } },
        },
      },
    });
  }

  var canvases = document.querySelectorAll('canvas[data-chart]');
  for (var i = 0; i < canvases.length; i++) {
    var c = canvases[i];
    var kind = c.getAttribute('data-chart');
    if (kind === 'sweep') sweep(c, model.sweeps[Number(c.getAttribute('data-sweep'))]);
    else {
      var s = model.scenarios[Number(c.getAttribute('data-scenario'))];
      if (kind === 'spectrum') spectrum(c, s);
      else if (kind === 'percentiles') percentiles(c, s);
      else if (kind === 'throughput') throughput(c, s);
    }
  }
  document.documentElement.setAttribute('data-charts-drawn', String(drawn));
})();
