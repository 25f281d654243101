/**
 * The HTML dashboard: one self-contained file (inline CSS and JS; no external request of any kind, no CDN, no
 * web fonts), usable offline and from file://. Totals per verdict, bar charts of verdicts and of the most
 * frequent blocked destinations (inline SVG drawn here), a searchable, sortable table of builds, and per build
 * (a row that expands) its attempts, findings with hints, quoted log lines and the build log path, and its
 * suggestions (--suggest: headline, verified or not with the verification line, a table of the rounds when --verify
 * took several (data-testid verify-rounds, a verify-round row each), the patch in a <pre>). Below the
 * table, when any build has suggestions: the list of them per package and how many packages have a (verified)
 * patch (data-testid suggestions, suggestion-package, suggestion-item, total-patches, total-verified-patches).
 *
 * Safety: every value that came from a build (names, argv, host names, log text, messages) reaches the page
 * either escaped (escapeXml) in the parts written here, or as JSON in a <script type="application/json"> block
 * in which every '<' is written \u003c (so no `</script>` or `<!--` in the data can end it), which the page's
 * script turns into DOM nodes with textContent and setAttribute only, never innerHTML. A Content-Security-Policy
 * forbids loading anything at all.
 *
 * Data blocks: netaudit-data (the report itself, unchanged), netaudit-view (per build the texts model/format.ts
 * makes of it: exit status, blocked phases, duration, per attempt endpoint and process; see BuildView) and
 * netaudit-colors. The page script formats nothing itself: every derived text comes from netaudit-view, so the
 * page says what the other reporters say.
 *
 * For tests and links: data-testid on the totals (total-clean, total-tolerates, total-breaks,
 * total-fails-without-network, total-builds), the search box (search), each build's row (build-row, with
 * data-name and data-verdict) and its detail row (build-detail), each attempt's row (attempt-row, with data-test:
 * its test id or empty) and the test filter (test-filter: a <select> of the tests the attempts name, hidden when
 * none do; choosing one shows the builds with an attempt of that test and, in them, only its attempts). Rows a
 * search or the filter leaves out get the `hidden` attribute. Both can be given in the URL fragment:
 * report.html#q=net-test/foo&test=tests/test_net.py::test_download; &open=1 (or #open=1) also expands every row
 * shown. <html> gets data-ready="true" when the script has run.
 */
import { blockedPhases, endpoint, exitText, explanationLines, formatDuration, interfaceQueryLine, observerText, processText, suggestionText, verificationRounds } from '../model/format.js';
import { VERDICTS, type Report, type Suggestion, type Verdict } from '../model/types.js';
import { destination } from './diff.js';
import { escapeXml, jsonForScript } from './xml.js';

const COLORS: Record<Verdict, string> = { clean: '#2e7d32', tolerates: '#9a6b00', breaks: '#c62828', 'fails-without-network': '#6a1b9a' };

/** How many destinations the chart shows. */
const TOP_DESTINATIONS = 10;

/**
 * Blocked destinations by the number of builds that tried them (then by attempts, then by name), the most
 * frequent first.
 */
export function destinationCounts(report: Report, limit = TOP_DESTINATIONS): { destination: string; builds: number; attempts: number }[] {
  const counts = new Map<string, { builds: Set<number>; attempts: number }>();
  report.builds.forEach((b, i) => {
    for (const a of b.attempts) {
      if (a.allowed) continue;
      const d = destination(a);
      const c = counts.get(d) ?? { builds: new Set<number>(), attempts: 0 };
      c.builds.add(i);
      c.attempts += a.count;
      counts.set(d, c);
    }
  });
  return [...counts.entries()]
    .map(([d, c]) => ({ destination: d, builds: c.builds.size, attempts: c.attempts }))
    .sort((x, y) => y.builds - x.builds || y.attempts - x.attempts || (x.destination < y.destination ? -1 : x.destination > y.destination ? 1 : 0))
    .slice(0, limit);
}

/**
 * What the page shows of a build beyond the report's own fields: the texts of model/format.ts, worked out here so
 * that the page script has no formatting of its own. Embedded as the netaudit-view block, one per build in report
 * order (parallel to netaudit-data's builds).
 */
export interface BuildView {
  /** How the build ended (exitText, `status` wording): `exit status 1`, `killed by SIGKILL`, `timed out`. */
  readonly status: string;
  /** The blocked phases, comma-separated: the phases cell and its sort key. */
  readonly phases: string;
  /** formatDuration: `2.21 s`, `<0.01 s`, `2 min 05 s`. */
  readonly duration: string;
  /** Per attempt, in order: its endpoint (searched) and process with its command line ('' when not known). */
  readonly attempts: readonly { readonly endpoint: string; readonly process: string }[];
  /** observerText, with its notes ('' for reports made before the observer existed). */
  readonly observer: string;
  /** explanationLines (--explain): where the attempts' `wanted` came from, and what only the rerun wanted ([] when none). */
  readonly explanation: readonly string[];
  /**
   * Per suggestion (--suggest), in order: its headline (suggestionText), its verification state in words, and,
   * when --verify took several rounds, one row per round (round, what it added, its outcome, its verification
   * line), shown as a small table under the state.
   */
  readonly suggestions: readonly { readonly headline: string; readonly verification: string; readonly rounds?: readonly RoundRow[] }[];
  /** Per interface listing, in order: interfaceQueryLine (absent when the build has none). */
  readonly interfaces?: readonly string[];
}

/** One round of --verify as the page's table shows it: texts only, `added` '' in round 1, `missed` '' when none. */
export interface RoundRow {
  readonly round: string;
  readonly added: string;
  readonly outcome: string;
  readonly missed: string;
  readonly verification: string;
  readonly verified: boolean;
}

/** The rounds of a suggestion verified in several (verificationRounds) as the page's rows; [] otherwise. */
export function roundRows(s: Suggestion): RoundRow[] {
  const rounds = verificationRounds(s);
  return rounds.map((r) => ({
    round: `${r.round} of ${rounds.length}`,
    added: r.added.join(', '),
    outcome: r.outcome,
    missed: r.missed.join(', '),
    verification: r.verification,
    verified: r.verified,
  }));
}

/**
 * `verified: LINE`, `not verified: LINE`, `not verified (no --verify)`, or `no patch`; after several rounds
 * `verified in N rounds: LINE` (`not verified after N rounds: LINE`), LINE the last round's.
 */
export function verificationState(s: Suggestion): string {
  const n = verificationRounds(s).length;
  if (s.verified === true) return `verified${n ? ` in ${n} rounds` : ''}: ${s.verification ?? ''}`.trim();
  if (s.verified === false) return `not verified${n ? ` after ${n} rounds` : ''}: ${s.verification ?? ''}`.trim();
  return s.patch ? 'not verified (audit with --verify)' : 'no patch';
}

export function buildViews(report: Report): BuildView[] {
  return report.builds.map((b) => ({
    status: exitText(b, 'status'),
    phases: blockedPhases(b.attempts).join(', '),
    duration: formatDuration(b.durationMs),
    attempts: b.attempts.map((a) => ({ endpoint: endpoint(a.address, a.port), process: a.process ? processText(a.process, { argv: true }) : '' })),
    observer: [observerText(b.observer), ...(b.observer?.notes ?? [])].filter((t): t is string => t !== undefined).join(' · '),
    explanation: explanationLines(b),
    suggestions: (b.suggestions ?? []).map((sg) => {
      const rounds = roundRows(sg);
      return { headline: suggestionText(sg), verification: verificationState(sg), ...(rounds.length ? { rounds } : {}) };
    }),
    ...(b.interfaceQueries?.length ? { interfaces: b.interfaceQueries.map(interfaceQueryLine) } : {}),
  }));
}

/** Packages with suggestions (a sweep's list): name, verdict, and per suggestion its cause, state and summary. */
function suggestionList(report: Report): string {
  const builds = report.builds.filter((b) => b.suggestions?.length);
  if (!builds.length) return '';
  const withPatch = builds.filter((b) => b.suggestions?.some((sg) => sg.patch)).length;
  const verified = builds.filter((b) => b.suggestions?.some((sg) => sg.patch && sg.verified === true)).length;
  const items = builds.map((b) => {
    const rows = (b.suggestions ?? []).map(
      (sg) =>
        `<li data-testid="suggestion-item" data-cause="${escapeXml(sg.cause)}" data-verified="${sg.verified === true}"><b>${escapeXml(sg.cause)}</b> <span class="${sg.verified === true ? 'allowed' : sg.verified === false ? 'blocked' : 'state'}">(${escapeXml(verificationState(sg).split(':')[0] as string)})</span>: ${escapeXml(sg.summary)}</li>`,
    );
    return `<li data-testid="suggestion-package" data-name="${escapeXml(b.name)}"><span class="mono">${escapeXml(b.name)}</span><ul>${rows.join('')}</ul></li>`;
  });
  return (
    `<section class="suggestions" data-testid="suggestions"><h2>Suggestions</h2>` +
    `<p><span data-testid="total-suggested">${builds.length}</span> package${builds.length === 1 ? '' : 's'} with suggestions, ` +
    `<span data-testid="total-patches">${withPatch}</span> with a patch, <span data-testid="total-verified-patches">${verified}</span> with a verified patch ` +
    `(all patches as git commits: <span class="mono">netaudit report patches REPORT --out DIR</span>).</p><ul>${items.join('')}</ul></section>`
  );
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  readonly title: string;
}

/** A horizontal bar chart as inline SVG; labels are escaped, long ones shortened (the full text in <title>). */
function barChart(bars: readonly Bar[], label: string, testid: string): string {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowHeight = 24;
  const labelWidth = 250;
  const barWidth = 280;
  const parts = bars.map((b, i) => {
    const y = i * rowHeight;
    const w = b.value > 0 ? Math.max(2, Math.round((b.value / max) * barWidth)) : 0;
    const shown = b.label.length > 36 ? `${b.label.slice(0, 35)}…` : b.label;
    return (
      `<g><title>${escapeXml(b.title)}</title>` +
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" class="lbl">${escapeXml(shown)}</text>` +
      `<rect x="${labelWidth}" y="${y + 4}" width="${w}" height="16" rx="2" fill="${b.color}"/>` +
      `<text x="${labelWidth + w + 6}" y="${y + 16}" class="num">${b.value}</text></g>`
    );
  });
  const height = Math.max(1, bars.length) * rowHeight + 4;
  return `<svg role="img" aria-label="${escapeXml(label)}" data-testid="${testid}" width="${labelWidth + barWidth + 50}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 50} ${height}">${parts.join('')}</svg>`;
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d1d1f;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:8px 0}
.meta{color:#666;margin-bottom:12px}
.totals{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.total{border-radius:6px;padding:8px 14px;color:#fff;min-width:120px}.total b{display:block;font-size:26px;line-height:1.1}
.total.all{background:#37474f}
.charts{display:flex;gap:40px;flex-wrap:wrap;margin:8px 0 4px}
.lbl{font-size:12px;fill:#333}.num{font-size:12px;fill:#333}
.controls{margin:14px 0 8px}input#search{width:380px;max-width:100%;padding:6px 8px;font-size:14px}#shown{color:#666;margin-left:8px}
table.builds{border-collapse:collapse;width:100%}
.builds>thead th{cursor:pointer;background:#f1f3f4;user-select:none;white-space:nowrap}
.builds>thead th[aria-sort=ascending]::after{content:" \\25B2"}.builds>thead th[aria-sort=descending]::after{content:" \\25BC"}
.builds th,.builds td{border-bottom:1px solid #e0e0e0;padding:5px 8px;text-align:left;vertical-align:top}
td.name{font-family:ui-monospace,monospace;word-break:break-all}
.v{font-weight:600;border-radius:4px;padding:1px 7px;color:#fff;white-space:nowrap}
button.more{font:12px monospace;width:22px;margin-right:6px;cursor:pointer}
tr.detail>td{background:#fafafa;padding:8px 12px 12px 38px}
.detail table{border-collapse:collapse;margin:6px 0}.detail th,.detail td{font-size:12px;border-bottom:1px solid #eee;padding:2px 8px;text-align:left}
.detail th{background:#eef0f1}.blocked{color:#b71c1c}.allowed{color:#2e7d32}
.finding{margin:6px 0}.lvl{font-size:11px;text-transform:uppercase;border:1px solid currentColor;border-radius:3px;padding:0 4px;margin-right:6px}
.lvl-error{color:#c62828}.lvl-warning{color:#9a6b00}.lvl-style{color:#00838f}.lvl-info{color:#1565c0}
.hint{color:#555;margin-left:12px}.log{font-family:ui-monospace,monospace;white-space:pre-wrap;color:#444;margin-left:12px}
.mono{font-family:ui-monospace,monospace;word-break:break-all}
.suggestion{margin:8px 0;border-left:3px solid #2e7d32;padding-left:8px}.suggestion .state{color:#555}
pre.patch{font:12px/1.35 ui-monospace,monospace;background:#f4f6f4;border:1px solid #e0e0e0;padding:6px 8px;overflow-x:auto;margin:4px 0}
.suggestions ul{margin:4px 0}.suggestions li{margin:2px 0}.state{color:#555}`;

const SCRIPT = `
(function(){
'use strict';
var data=JSON.parse(document.getElementById('netaudit-data').textContent);
var colors=JSON.parse(document.getElementById('netaudit-colors').textContent);
var views=JSON.parse(document.getElementById('netaudit-view').textContent);
var tbody=document.getElementById('builds');var search=document.getElementById('search');var shown=document.getElementById('shown');
var testSel=document.getElementById('test-filter');
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined&&text!==null)e.textContent=String(text);if(cls)e.className=cls;return e;}
function table(head,rows,trs){var t=el('table');var hr=el('tr');head.forEach(function(h){hr.appendChild(el('th',h));});var th=el('thead');th.appendChild(hr);t.appendChild(th);
  var tb=el('tbody');rows.forEach(function(r){var tr=el('tr');r.forEach(function(c){var td=el('td',c.text,c.cls);tr.appendChild(td);});tb.appendChild(tr);if(trs)trs.push(tr);});t.appendChild(tb);return t;}
function detail(b,view,attemptRows){
  var d=el('div');
  d.appendChild(el('div','command: '+b.command.join(' '),'mono'));
  d.appendChild(el('div',view.status+' · '+b.attempts.length+' attempt(s) · capture '+b.capture.packets+' packets, '+b.capture.dropped+' dropped'));
  if(view.observer){var ob=el('div','syscall observer: '+view.observer);ob.setAttribute('data-testid','observer');d.appendChild(ob);}
  if(b.log)d.appendChild(el('div','build log: '+b.log,'mono'));
  (view.explanation||[]).forEach(function(l){var x=el('div',l);x.setAttribute('data-testid','explanation');d.appendChild(x);});
  if(b.attempts.length){
    var trs=[];
    d.appendChild(table(['kind','phase','test','host name','address','port','count','outcome','wanted','process','allowed'],b.attempts.map(function(a,i){
      var proc=view.attempts[i].process;
      return [{text:a.kind+(a.qtype?' '+a.qtype:'')},{text:a.phase||''},{text:a.test||'',cls:'mono'},{text:a.hostname||''},{text:a.address,cls:'mono'},{text:a.port===undefined?'':a.port},{text:a.count},
        {text:a.outcome||''},{text:a.wanted||'',cls:'mono'},{text:proc,cls:'mono'},a.allowed?{text:'yes'+(a.allowedBy?': '+a.allowedBy:''),cls:'allowed'}:{text:'no (blocked)',cls:'blocked'}];}),trs));
    trs.forEach(function(tr,i){tr.setAttribute('data-testid','attempt-row');tr.setAttribute('data-test',b.attempts[i].test||'');attemptRows.push({tr:tr,test:b.attempts[i].test});});
    b.attempts.forEach(function(a){(a.logLines||[]).forEach(function(l){d.appendChild(el('div','> '+l,'log'));});});
  }
  (view.interfaces||[]).forEach(function(l,i){var x=el('div','interface listing (only lo under network-sandbox): '+l,'mono');x.setAttribute('data-testid','interface-query');
    if((b.interfaceQueries||[])[i]&&b.interfaceQueries[i].failure&&!b.interfaceQueries[i].allowed)x.className+=' blocked';d.appendChild(x);});
  b.findings.forEach(function(f){var x=el('div',undefined,'finding');x.appendChild(el('span',f.level,'lvl lvl-'+f.level));x.appendChild(el('b',f.keyword));
    x.appendChild(document.createTextNode(': '+f.message));(f.logLines||[]).forEach(function(l){x.appendChild(el('div','> '+l,'log'));});
    if(f.hint)x.appendChild(el('div','hint: '+f.hint,'hint'));d.appendChild(x);});
  (b.suggestions||[]).forEach(function(s,i){var sv=view.suggestions[i];var x=el('div',undefined,'suggestion');x.setAttribute('data-testid','suggestion');x.setAttribute('data-cause',s.cause);
    x.appendChild(el('div',sv.headline));var st=el('div',sv.verification,s.verified===true?'allowed':s.verified===false?'blocked':'state');st.setAttribute('data-testid','suggestion-verification');x.appendChild(st);
    if(sv.rounds){var rt=[];var t=table(['verify round','adds','outcome','missed (added next round)','verification'],sv.rounds.map(function(r){return [{text:r.round},{text:r.added,cls:'mono'},{text:r.outcome,cls:r.verified?'allowed':'blocked'},{text:r.missed,cls:'mono'},{text:r.verification}];}),rt);
      t.setAttribute('data-testid','verify-rounds');rt.forEach(function(tr){tr.setAttribute('data-testid','verify-round');});x.appendChild(t);}
    if(s.patch){var pre=el('pre',s.patch,'patch');pre.setAttribute('data-testid','suggestion-patch');x.appendChild(pre);}d.appendChild(x);});
  return d;
}
function setOpen(r,open){r.det.hidden=!open;r.btn.textContent=open?'\\u2212':'+';r.btn.setAttribute('aria-expanded',String(open));}
var rows=data.builds.map(function(b,i){var view=views[i];
  var tr=el('tr');tr.setAttribute('data-testid','build-row');tr.setAttribute('data-name',b.name);tr.setAttribute('data-verdict',b.verdict);
  var name=el('td',undefined,'name');var btn=el('button','+','more');btn.type='button';btn.setAttribute('aria-expanded','false');btn.setAttribute('aria-label','details');
  name.appendChild(btn);name.appendChild(document.createTextNode(b.name));tr.appendChild(name);
  var vt=el('td');var v=el('span',b.verdict,'v');v.style.background=colors[b.verdict]||'#555';vt.appendChild(v);tr.appendChild(vt);
  tr.appendChild(el('td',b.attempts.length));tr.appendChild(el('td',view.phases));tr.appendChild(el('td',view.duration));
  var det=el('tr',undefined,'detail');det.setAttribute('data-testid','build-detail');det.hidden=true;var td=el('td');td.colSpan=5;det.appendChild(td);
  var attemptRows=[];
  td.appendChild(detail(b,view,attemptRows));
  var text=[b.name,b.verdict,b.command.join(' '),b.log||''].concat(b.attempts.map(function(a,j){return [a.kind,a.hostname||'',view.attempts[j].endpoint,a.phase||'',a.test||'',a.process?a.process.comm:''].join(' ');}),
    b.findings.map(function(f){return f.keyword+' '+f.message;}),(b.suggestions||[]).map(function(s){return s.cause+' '+s.summary;})).join('\\n').toLowerCase();
  var r={b:b,view:view,tr:tr,det:det,btn:btn,text:text,attemptRows:attemptRows};
  btn.addEventListener('click',function(){setOpen(r,det.hidden);});
  return r;
});
function place(){rows.forEach(function(r){tbody.appendChild(r.tr);tbody.appendChild(r.det);});}
place();
var tests=[];data.builds.forEach(function(b){b.attempts.forEach(function(a){if(a.test&&tests.indexOf(a.test)<0)tests.push(a.test);});});tests.sort();
tests.forEach(function(t){var o=el('option',t);o.value=t;testSel.appendChild(o);});testSel.hidden=!tests.length;
function filter(){var terms=search.value.toLowerCase().split(/\\s+/).filter(Boolean);var n=0;var test=testSel.value;
  rows.forEach(function(r){var show=terms.every(function(t){return r.text.indexOf(t)>=0;})&&(!test||r.b.attempts.some(function(a){return a.test===test;}));
    r.attemptRows.forEach(function(x){x.tr.hidden=Boolean(test)&&x.test!==test;});
    r.tr.hidden=!show;if(!show)setOpen(r,false);if(show)n++;});
  shown.textContent=n+' of '+rows.length+' builds shown'+(test?' (attempts of one test)':'');}
function toHash(){var q=search.value,t=testSel.value;var h=[q?'q='+encodeURIComponent(q):'',t?'test='+encodeURIComponent(t):''].filter(Boolean).join('&');
  try{history.replaceState(null,'',h?'#'+h:location.pathname+location.search);}catch(e){}}
search.addEventListener('input',function(){filter();toHash();});
testSel.addEventListener('change',function(){filter();toHash();});
var order=['breaks','tolerates','fails-without-network','clean'];
var keys=[function(r){return r.b.name;},function(r){return order.indexOf(r.b.verdict);},function(r){return r.b.attempts.length;},function(r){return r.view.phases;},function(r){return r.b.durationMs;}];
var heads=document.querySelectorAll('table.builds>thead th');var sortedBy=-1,dir=1;
Array.prototype.forEach.call(heads,function(th,i){th.tabIndex=0;function sort(){dir=sortedBy===i?-dir:1;sortedBy=i;
  Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});th.setAttribute('aria-sort',dir>0?'ascending':'descending');
  rows.sort(function(x,y){var a=keys[i](x),b=keys[i](y);return ((a<b?-1:a>b?1:0)||(x.b.name<y.b.name?-1:x.b.name>y.b.name?1:0))*dir;});place();}
  th.addEventListener('click',sort);th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});});
function param(k){var m=new RegExp('(?:^#|&)'+k+'=([^&]*)').exec(location.hash);if(!m)return undefined;try{return decodeURIComponent(m[1]);}catch(e){return m[1];}}
function fromHash(){var q=param('q');if(q!==undefined)search.value=q;var t=param('test');if(t!==undefined&&tests.indexOf(t)>=0)testSel.value=t;filter();
  if(param('open')==='1')rows.forEach(function(r){if(!r.tr.hidden)setOpen(r,true);});}
window.addEventListener('hashchange',fromHash);
fromHash();
document.documentElement.setAttribute('data-ready','true');
})();`;

export function renderHtml(report: Report): string {
  const n = report.builds.length;
  const totals = [
    `<div class="total all" data-testid="total-builds"><b>${n}</b>builds</div>`,
    ...VERDICTS.map((v) => `<div class="total" style="background:${COLORS[v]}" data-testid="total-${v}"><b>${report.summary[v]}</b>${v}</div>`),
  ].join('');
  const verdictChart = barChart(
    VERDICTS.map((v) => ({ label: v, value: report.summary[v], color: COLORS[v], title: `${report.summary[v]} ${v}` })),
    'builds per verdict',
    'chart-verdicts',
  );
  const dests = destinationCounts(report);
  const destChart = dests.length
    ? barChart(
        dests.map((d) => ({ label: d.destination, value: d.builds, color: '#455a64', title: `${d.destination}: ${d.builds} build(s), ${d.attempts} attempt(s)` })),
        'most frequent blocked destinations',
        'chart-destinations',
      )
    : '<p data-testid="chart-destinations">no blocked attempts</p>';
  const meta = [report.mode, `${n} build${n === 1 ? '' : 's'}`, report.createdAt, `${report.tool.name} ${report.tool.version}`, report.host?.hostname, report.host?.kernel]
    .filter((x): x is string => Boolean(x))
    .map(escapeXml)
    .join(' · ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>netaudit: ${n} build${n === 1 ? '' : 's'}, ${report.summary.breaks} break${report.summary.breaks === 1 ? '' : 's'}</title>
<style>${CSS}</style></head>
<body>
<h1>netaudit: what would break under FEATURES=network-sandbox</h1>
<div class="meta">${meta}</div>
<div class="totals" data-testid="totals">${totals}</div>
<div class="charts"><div><h2>Builds per verdict</h2>${verdictChart}</div><div><h2>Most frequent blocked destinations (builds)</h2>${destChart}</div></div>
<div class="controls"><input id="search" data-testid="search" type="search" placeholder="search: package, host, address, phase, keyword…" aria-label="search builds" autocomplete="off"><select id="test-filter" data-testid="test-filter" aria-label="show the attempts of one test"><option value="">all tests</option></select><span id="shown"></span></div>
<noscript><p>The table of builds needs JavaScript; the data is in the netaudit-data script element of this file, and in the JSON report.</p></noscript>
<table class="builds"><thead><tr><th>build</th><th>verdict</th><th>attempts</th><th>phases</th><th>duration</th></tr></thead><tbody id="builds"></tbody></table>
${suggestionList(report)}
<script type="application/json" id="netaudit-colors">${jsonForScript(COLORS)}</script>
<script type="application/json" id="netaudit-data">${jsonForScript(report)}</script>
<script type="application/json" id="netaudit-view">${jsonForScript(buildViews(report))}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
