(function(){
const D = JSON.parse(document.getElementById('hil-data').textContent);
const byId = {}; D.results.forEach(r => byId[r.id] = r);
const W = 360, H = 190;
function trend(el, r){
  const pts = r.history.points, n = pts.length;
  const xs = pts.map((_, i) => i);
  const pick = (k, f) => pts.map(p => f(p) ? p[k] : null);
  const data = [xs, pick('p50', () => true), pick('p99', () => true), pick('acc', () => true),
    pick('p50', p => p.noisy), pick('p50', p => p.status === 'regression')];
  const base = r.history.baseline;
  const shade = u => {
    if (!base.length) return;
    const lo = u.valToPos(Math.min(...base) - 0.4, 'x', true), hi = u.valToPos(Math.max(...base) + 0.4, 'x', true);
    u.ctx.save(); u.ctx.fillStyle = 'rgba(30,136,229,0.12)';
    u.ctx.fillRect(lo, u.bbox.top, hi - lo, u.bbox.height); u.ctx.restore();
  };
  new uPlot({width: W, height: H, legend: {show: false},
    scales: {x: {time: false, range: [-0.5, Math.max(n - 0.5, 0.5)]}, acc: {auto: true}},
    axes: [{values: (u, s) => s.map(i => pts[i] ? pts[i].at.slice(5, 10) : '')},
           {label: 'ms', size: 44}, {scale: 'acc', side: 1, grid: {show: false}, size: 44}],
    series: [{label: 'run'}, {label: 'p50', stroke: '#1e88e5', width: 2},
      {label: 'p99', stroke: '#90caf9', width: 1, dash: [4, 3]},
      {label: r.headline.label, scale: 'acc', stroke: '#43a047', width: 1.5},
      {label: 'noisy', stroke: '#fb8c00', width: 0, paths: () => null, points: {show: true, size: 9, fill: '#fff'}},
      {label: 'regression', stroke: '#e53935', width: 0, paths: () => null, points: {show: true, size: 10, fill: '#e53935'}}],
    hooks: {drawClear: [shade]}}, data, el);
}
function hist(el, r, which){
  // Both sides on one scale: from the fastest frame to the 90th percentile of either side (slower frames
  // are counted in the last bin, so a long tail cannot squash the bulk of the distribution).
  const d = r.dist, all = d.result.concat(d.baseline).sort((a, b) => a - b);
  const p90 = v => v.length ? v[Math.min(v.length - 1, Math.ceil(0.9 * v.length) - 1)] : 0;
  const lo = all[0], hi = Math.max(p90(d.result), p90(d.baseline)), bins = 30, w = (hi - lo) / bins || 1;
  const count = v => { const c = new Array(bins).fill(0); v.forEach(x => c[Math.min(bins - 1, Math.floor((x - lo) / w))]++);
    return c.map(k => k / Math.max(v.length, 1)); };
  const xs = [...Array(bins).keys()].map(i => lo + (i + 0.5) * w);
  const ys = count(d[which]), top = Math.max(...count(d.result), ...count(d.baseline));
  new uPlot({width: W, height: H, legend: {show: false}, scales: {x: {time: false, range: [lo, hi]}, y: {range: [0, top * 1.05]}},
    axes: [{label: 'end-to-end ms (slower than p90: last bin)'}, {label: 'share of frames', size: 50}],
    series: [{}, {label: which, fill: which === 'result' ? 'rgba(229,57,53,0.6)' : 'rgba(120,120,120,0.55)',
      stroke: which === 'result' ? '#e53935' : '#777', paths: uPlot.paths.bars({size: [0.95, 100]})}]},
    [xs, ys], el);
}
function power(el, r){
  el.dataset.modelled = r.modelled;
  const t = r.trace, xs = t.map(p => p[0]), ys = t.map(p => p[1]);
  const lines = [xs, ys];
  const series = [{label: 's'}, {label: r.modelled ? 'W (modelled)' : 'W', stroke: r.modelled ? '#8e24aa' : '#f4511e',
    width: 1.5, dash: r.modelled ? [5, 3] : undefined}];
  [['idle', r.idle_power_w, '#9e9e9e'], ['active', r.active_power_w, '#3949ab']].forEach(([name, v, c]) => {
    if (v != null) { lines.push(xs.map(() => v)); series.push({label: name + ' mean', stroke: c, width: 1, dash: [2, 2]}); }
  });
  new uPlot({width: W, height: H, scales: {x: {time: false}}, axes: [{label: 's'}, {label: 'W', size: 44}],
    series: series}, lines, el);
}
document.querySelectorAll('.chart').forEach(el => {
  const r = byId[el.dataset.result];
  if (el.classList.contains('trend')) trend(el, r);
  else if (el.classList.contains('dist')) hist(el, r, el.dataset.which);
  else if (el.classList.contains('power')) power(el, r);
});
document.body.dataset.charts = document.querySelectorAll('.chart canvas').length;
})();
