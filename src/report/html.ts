/**
 * The HTML dashboard: one self-contained file (inline CSS and JS, no external requests), usable offline.
 * Totals per verdict, bar charts of verdicts and of the most frequent destinations (inline SVG), a
 * searchable, sortable table of builds, and per build its attempts, findings, hints and quoted log lines.
 *
 * Safety: every value from a build (names, argv, host names, log text) reaches the page either escaped in
 * the server-rendered parts or as JSON in a <script type="application/json"> block (with '<' written as
 * \u003c, so no '</script>' can end it) that the page's script puts into the DOM with textContent only.
 * The search can be given in the URL fragment (report.html#q=net-test/foo).
 */
import { VERDICTS, type Report } from '../model/types.js';
import { escapeXml, jsonForScript } from './xml.js';

const COLORS: Record<string, string> = { clean: '#2e7d32', tolerates: '#b28704', breaks: '#c62828', 'fails-without-network': '#6a1b9a' };

function destinationCounts(report: Report): [string, number][] {
  const counts = new Map<string, number>();
  for (const b of report.builds) {
    for (const a of b.attempts) {
      if (a.allowed) continue;
      const where = a.kind === 'dns' ? `dns ${a.hostname ?? a.address}` : `${a.kind} ${a.address.includes(':') ? `[${a.address}]` : a.address}${a.port !== undefined ? `:${a.port}` : ''}`;
      counts.set(where, (counts.get(where) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 10);
}

function bars(rows: [string, number, string][], label: string): string {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const h = 22;
  const parts = rows.map(([name, n, color], i) => {
    const w = Math.round((n / max) * 300);
    const shown = name.length > 34 ? `${name.slice(0, 33)}…` : name;
    return `<text x="0" y="${i * h + 15}" class="lbl"><title>${escapeXml(name)}</title>${escapeXml(shown)}</text><rect x="230" y="${i * h + 3}" width="${w}" height="16" fill="${color}"/><text x="${236 + w}" y="${i * h + 15}" class="num">${n}</text>`;
  });
  return `<svg role="img" aria-label="${escapeXml(label)}" width="600" height="${Math.max(1, rows.length) * h + 4}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px;margin:0 0 4px}
.meta{color:#666;margin-bottom:16px}.totals{display:flex;gap:12px;margin:12px 0}
.total{border-radius:6px;padding:8px 14px;color:#fff;min-width:110px}.total b{display:block;font-size:24px}
.charts{display:flex;gap:32px;flex-wrap:wrap}.lbl{font-size:12px}.num{font-size:12px;fill:#333}
input#search{width:360px;padding:6px;margin:12px 0;font-size:14px}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:5px 8px;text-align:left;vertical-align:top}th{cursor:pointer;background:#f4f4f4}
.v{font-weight:bold;border-radius:4px;padding:1px 6px;color:#fff}tr.detail td{background:#fafafa}
.detail table{width:auto}.detail td,.detail th{font-size:12px;border:0;padding:2px 8px}.log{font-family:monospace;white-space:pre-wrap;color:#555}
button.more{font-size:12px}`;

const SCRIPT = `
(function(){
var data=JSON.parse(document.getElementById('netaudit-data').textContent);
var colors=${JSON.stringify(COLORS)};
var tbody=document.getElementById('builds');var search=document.getElementById('search');
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined&&text!==null)e.textContent=String(text);if(cls)e.className=cls;return e;}
function where(a){var h=a.kind==='dns'?(a.hostname||a.address):(a.address.indexOf(':')>=0?'['+a.address+']':a.address);return h+(a.port!==undefined?':'+a.port:'');}
function phases(b){var s={};b.attempts.forEach(function(a){if(!a.allowed&&a.phase)s[a.phase]=1;});return Object.keys(s).join(', ');}
var rows=[];
data.builds.forEach(function(b,i){
  var tr=el('tr');tr.setAttribute('data-testid','build-row');tr.setAttribute('data-name',b.name);
  var v=el('span',b.verdict,'v');v.style.background=colors[b.verdict];
  var td0=el('td');var btn=el('button','+','more');td0.appendChild(btn);td0.appendChild(document.createTextNode(' '+b.name));tr.appendChild(td0);
  var tdv=el('td');tdv.appendChild(v);tr.appendChild(tdv);
  tr.appendChild(el('td',b.attempts.length));tr.appendChild(el('td',phases(b)));tr.appendChild(el('td',(b.durationMs/1000).toFixed(2)+' s'));
  var det=el('tr',undefined,'detail');det.hidden=true;var dtd=el('td');dtd.colSpan=5;det.appendChild(dtd);
  dtd.appendChild(el('div','command: '+b.command.join(' ')));
  if(b.log)dtd.appendChild(el('div','build log: '+b.log));
  if(b.attempts.length){var t=el('table');var hr=el('tr');['kind','phase','host name','address','port','count','outcome','process','allowed'].forEach(function(h){hr.appendChild(el('th',h));});t.appendChild(hr);
    b.attempts.forEach(function(a){var r=el('tr');[a.kind,a.phase||'',a.hostname||'',a.address,a.port===undefined?'':a.port,a.count,a.outcome||'',a.process?(a.process.comm+' ['+a.process.pid+']'):'',a.allowed?('yes: '+(a.allowedBy||'')):'no'].forEach(function(c){r.appendChild(el('td',c));});t.appendChild(r);});
    dtd.appendChild(t);}
  b.findings.forEach(function(f){var d=el('div');d.appendChild(el('b',f.keyword+': '));d.appendChild(document.createTextNode(f.message));
    if(f.hint)d.appendChild(el('div','hint: '+f.hint));(f.logLines||[]).forEach(function(l){d.appendChild(el('div','> '+l,'log'));});dtd.appendChild(d);});
  btn.addEventListener('click',function(){det.hidden=!det.hidden;btn.textContent=det.hidden?'+':'-';});
  rows.push({b:b,tr:tr,det:det});tbody.appendChild(tr);tbody.appendChild(det);
});
function text(r){var b=r.b;return [b.name,b.verdict,b.command.join(' ')].concat(b.attempts.map(function(a){return [a.hostname||'',a.address,a.port,a.phase||''].join(' ');})).join(' ').toLowerCase();}
function filter(){var q=search.value.trim().toLowerCase();var n=0;rows.forEach(function(r){var show=!q||text(r).indexOf(q)>=0;r.tr.hidden=!show;if(!show)r.det.hidden=true;if(show)n++;});
  document.getElementById('shown').textContent=n+' of '+rows.length+' shown';}
search.addEventListener('input',filter);
var keys=[function(r){return r.b.name;},function(r){return ['breaks','tolerates','fails-without-network','clean'].indexOf(r.b.verdict);},function(r){return r.b.attempts.length;},function(r){return phases(r.b);},function(r){return r.b.durationMs;}];
var dir=1,last=-1;
Array.prototype.forEach.call(document.querySelectorAll('#table th'),function(th,i){th.addEventListener('click',function(){dir=(last===i)?-dir:1;last=i;
  rows.sort(function(x,y){var a=keys[i](x),b=keys[i](y);return (a<b?-1:a>b?1:0)*dir;});rows.forEach(function(r){tbody.appendChild(r.tr);tbody.appendChild(r.det);});});});
var m=/[#&]q=([^&]*)/.exec(location.hash);if(m){search.value=decodeURIComponent(m[1]);}
filter();
})();`;

export function renderHtml(report: Report): string {
  const totals = VERDICTS.map(
    (v) => `<div class="total" style="background:${COLORS[v]}" data-testid="total-${v}"><b>${report.summary[v]}</b>${v}</div>`,
  ).join('');
  const verdictChart = bars(VERDICTS.map((v) => [v, report.summary[v], COLORS[v] as string]), 'builds per verdict');
  const dests = destinationCounts(report);
  const destChart = dests.length ? bars(dests.map(([d, n]) => [d, n, '#455a64']), 'most frequent destinations') : '<p>no blocked attempts</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>netaudit: ${report.builds.length} builds</title><style>${CSS}</style></head>
<body>
<h1>netaudit: what would break under FEATURES=network-sandbox</h1>
<div class="meta">${escapeXml(report.mode)} · ${report.builds.length} builds · ${escapeXml(report.createdAt)} · ${escapeXml(report.tool.name)} ${escapeXml(report.tool.version)}</div>
<div class="totals" data-testid="totals">${totals}</div>
<div class="charts"><div><h2>Verdicts</h2>${verdictChart}</div><div><h2>Most frequent destinations</h2>${destChart}</div></div>
<input id="search" data-testid="search" type="search" placeholder="search packages, hosts, phases…" aria-label="search"> <span id="shown"></span>
<table id="table"><thead><tr><th>build</th><th>verdict</th><th>attempts</th><th>phases</th><th>duration</th></tr></thead><tbody id="builds"></tbody></table>
<script type="application/json" id="netaudit-data">${jsonForScript(report)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
