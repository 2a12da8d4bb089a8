/** The dashboard: one HTML shell, the bundled uPlot and a small client script (no CDN, no inline script in served pages). */

export const PAGES = [
  { name: 'overview', path: '/', title: 'Overview' },
  { name: 'ic', path: '/ic', title: 'IC' },
  { name: 'models', path: '/models', title: 'Models' },
  { name: 'timeline', path: '/timeline', title: 'Timeline' },
  { name: 'history', path: '/history', title: 'History' },
  { name: 'tasks', path: '/tasks', title: 'Tasks' },
] as const;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** JSON that is safe inside a <script type="application/json"> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

export interface PageOptions {
  page: string;
  manager: string;
  /** live: scripts from /assets and data from /api; report: everything inlined. */
  mode: 'live' | 'report';
  /** report mode: the embedded data and assets. */
  data?: unknown;
  tasks?: unknown;
  assets?: { uplotJs: string; uplotCss: string };
  /** Pages other plugins contribute (live mode), e.g. Users. */
  extraPages?: { title: string; path: string }[];
}

export function pageHtml(o: PageOptions): string {
  const nav = PAGES.map((p) => `<a data-page="${p.name}" href="${o.mode === 'live' ? p.path : '#' + p.name}"${p.name === o.page ? ' class="active"' : ''}>${p.title}</a>`).join('') +
    (o.mode === 'live' ? (o.extraPages ?? []).map((p) => `<a data-page="extra" href="${esc(p.path)}">${esc(p.title)}</a>`).join('') : '');
  const head =
    o.mode === 'live'
      ? `<link rel="stylesheet" href="/assets/uplot.css"><link rel="stylesheet" href="/assets/app.css">`
      : `<style>${o.assets!.uplotCss}</style><style>${APP_CSS}</style>`;
  const scripts =
    o.mode === 'live'
      ? `<script src="/assets/uplot.js"></script><script src="/assets/app.js"></script>`
      : `<script type="application/json" id="qonline-data">${scriptJson(o.data)}</script><script type="application/json" id="qonline-tasks">${scriptJson(o.tasks ?? null)}</script>` +
        `<script>${o.assets!.uplotJs.replace(/<\/script/gi, '<\\/script')}</script><script>${APP_JS.replace(/<\/script/gi, '<\\/script')}</script>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>qonline · ${esc(o.manager)}</title>${head}</head>
<body data-mode="${o.mode}" data-page="${esc(o.page)}">
<header><b>qonline</b> <span id="manager">${esc(o.manager)}</span><nav>${nav}</nav><span id="meta"></span></header>
<main id="app"><p class="muted">loading…</p></main>
<main id="sections">${((o.data as { sections?: { id: string }[] } | undefined)?.sections ?? []).map((x) => `<section id="section-${esc(x.id)}"></section>`).join('')}</main>
${scripts}
</body></html>
`;
}

export const APP_CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{display:flex;gap:16px;align-items:center;padding:10px 20px;background:#111827;color:#f9fafb;flex-wrap:wrap}
header nav{display:flex;gap:4px} header nav a{color:#d1d5db;text-decoration:none;padding:4px 10px;border-radius:6px}
header nav a.active,header nav a:hover{background:#374151;color:#fff} #meta{margin-left:auto;color:#9ca3af;font-size:12px}
main{padding:16px 20px;max-width:1400px;margin:0 auto} #sections{padding-top:0}
h2{font-size:16px;margin:18px 0 8px} .muted{color:#6b7280}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:8px 0 16px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px}.card span{color:#6b7280;font-size:12px}.card b{display:block;font-size:20px}
.panel{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px;margin:0 0 16px}
.panel h3{margin:0 0 6px;font-size:14px}.panel .note{color:#6b7280;font-size:12px;margin:0 0 4px}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px} .grid2>.panel{min-width:0;overflow-x:auto} @media (max-width:1000px){.grid2{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%;font-size:13px;background:#fff}
th,td{border-bottom:1px solid #eef0f3;padding:4px 8px;text-align:left;vertical-align:top;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th[data-key]{cursor:pointer;user-select:none} th[data-key]:hover{background:#f3f4f6}
tr.sel{background:#eff6ff} .tag{display:inline-block;padding:0 6px;border-radius:10px;font-size:11px;background:#dcfce7;color:#166534}
.heat td,.heat th{padding:4px 3px;font-size:12px} .heat td{text-align:center;min-width:36px}
.scroll{overflow-x:auto} pre{background:#f3f4f6;padding:8px;border-radius:6px;overflow:auto;max-height:360px;font-size:12px}
.u-legend{font-size:12px} .tl-label{font-size:11px;fill:#374151} .tl-axis{font-size:10px;fill:#6b7280}
`;

export const APP_JS = String.raw`(function(){
'use strict';
var PALETTE=['#2563eb','#dc2626','#16a34a','#9333ea','#ea580c','#0891b2','#ca8a04','#db2777'];
var body=document.body, MODE=body.getAttribute('data-mode');
var app=document.getElementById('app');
function el(tag,attrs,children){var e=document.createElement(tag);if(attrs)for(var k in attrs){if(k==='text')e.textContent=attrs[k];else if(k==='cls')e.className=attrs[k];else e.setAttribute(k,attrs[k]);}(children||[]).forEach(function(c){if(c!=null)e.appendChild(typeof c==='string'?document.createTextNode(c):c);});return e;}
function fmt(x,d){return x==null||!isFinite(x)?'–':d==null&&Number.isInteger(x)?String(x):Number(x).toFixed(d==null?4:d);}
function pct(x){return x==null||!isFinite(x)?'–':(x*100).toFixed(2)+'%';}
function ts(d){return Date.parse(d+'T00:00:00Z')/1000;}
function cumsum(a){var c=0;return a.map(function(v){if(v!=null&&isFinite(v))c+=v;return c;});}
function rolling(a,w){var out=[];for(var i=0;i<a.length;i++){if(i<w-1){out.push(null);continue;}var s=0,n=0;for(var k=i-w+1;k<=i;k++){if(a[k]!=null){s+=a[k];n++;}}out.push(n?s/n:null);}return out;}
function panel(title,note){var p=el('div',{cls:'panel'},[el('h3',{text:title}),note?el('p',{cls:'note',text:note}):null]);app.appendChild(p);return p;}
function card(parent,label,value,id){parent.appendChild(el('div',Object.assign({cls:'card'},id?{id:id}:{}),[el('span',{text:label}),el('b',{text:value})]));}
function lineChart(parent,xs,series,opts){
  opts=opts||{};
  var w=Math.max(320,parent.clientWidth-24);
  var o={width:w,height:opts.height||260,cursor:{drag:{x:true,y:false}},scales:{x:{time:opts.time!==false},y:opts.zeroBased?{range:function(u,mn,mx){return [0,mx>0?mx*1.08:1];}}:{}},
    series:[{label:opts.xLabel||'date',value:opts.time===false?null:function(u,v){return v==null?'–':new Date(v*1000).toISOString().slice(0,10);}}].concat(series.map(function(s,i){
      var r={label:s.label,stroke:s.color||PALETTE[i%PALETTE.length],width:s.width||1.5,spanGaps:false,value:function(u,v){return v==null?'–':(opts.pct?(v*100).toFixed(2)+'%':Number(v).toFixed(4));}};
      if(s.fill)r.fill=s.fill; if(s.bars){r.paths=uPlot.paths.bars({size:[0.9,40]});r.points={show:false};r.fill=r.fill||r.stroke;} if(s.dash)r.dash=s.dash; if(s.points===false)r.points={show:false};
      return r;})),
    axes:[{},{size:60,values:function(u,vals){return vals.map(function(v){return opts.pct?(+(v*100).toFixed(6))+'%':+v.toFixed(6);});}}]};
  var u=new uPlot(o,[xs].concat(series.map(function(s){return s.values;})),parent);
  window.addEventListener('resize',function(){u.setSize({width:Math.max(320,parent.clientWidth-24),height:o.height});});
  return u;
}
function table(parent,cols,rows,opts){
  opts=opts||{};var sortKey=opts.sortKey||null,dir=opts.dir||1;
  var t=el('table'),thead=el('thead'),tbody=el('tbody');t.appendChild(thead);t.appendChild(tbody);
  function render(){
    thead.innerHTML='';tbody.innerHTML='';
    var tr=el('tr');cols.forEach(function(c){var th=el('th',{'data-key':c.key,cls:c.num?'num':''},[c.label+(sortKey===c.key?(dir>0?' ▲':' ▼'):'')]);th.addEventListener('click',function(){if(sortKey===c.key)dir=-dir;else{sortKey=c.key;dir=1;}render();});tr.appendChild(th);});thead.appendChild(tr);
    var rs=rows.slice();if(sortKey){var c=cols.filter(function(c){return c.key===sortKey;})[0];rs.sort(function(a,b){var x=c.sort?c.sort(a):c.get(a),y=c.sort?c.sort(b):c.get(b);if(x==null)return 1;if(y==null)return -1;return (x<y?-1:x>y?1:0)*dir;});}
    rs.forEach(function(r){var tr=el('tr');if(opts.onRow)tr.addEventListener('click',function(){opts.onRow(r,tr);});cols.forEach(function(c){var v=c.get(r);var td=el('td',{cls:c.num?'num':''});if(v instanceof Node)td.appendChild(v);else td.textContent=v==null?'–':(c.num&&typeof v==='number'?fmt(v,c.digits):String(v));tr.appendChild(td);});tbody.appendChild(tr);});
  }
  render();var wrap=el('div',{cls:'scroll'},[t]);parent.appendChild(wrap);return t;
}
function kv(o){return Object.keys(o||{}).map(function(k){var v=o[k];return k+'='+(typeof v==='object'?JSON.stringify(v):String(v));}).join(', ');}
function segs(s){return Object.keys(s||{}).map(function(k){var v=s[k];return k+' '+(Array.isArray(v)?v.join('..'):String(v));}).join(' · ');}
var D=null,TASKS=null;
function pages(){return {overview:overview,ic:icPage,models:modelsPage,timeline:timelinePage,history:historyPage,tasks:tasksPage};}

function overview(){
  var xs=D.dates.map(ts);
  var cards=el('div',{cls:'cards'});app.appendChild(cards);
  card(cards,'mean daily IC',fmt(D.meanIc),'card-ic');card(cards,'mean rank IC',fmt(D.meanRankIc),'card-rankic');card(cards,'ICIR',fmt(D.icir,3));
  card(cards,'long-short ann. return',pct(D.risk.longShort.annualized_return));card(cards,'long-short IR',fmt(D.risk.longShort.information_ratio,2));card(cards,'long-short max DD',pct(D.risk.longShort.max_drawdown));
  card(cards,'signal dates',String(D.dates.length));card(cards,'models served',String(D.timeline.filter(function(t){return t.served.length;}).length));
  var p=panel('Cumulative return of the signal','label returns of the top 20% minus the bottom 20% (and minus all), summed; drag to zoom, double-click to reset, click a legend entry to hide it');
  lineChart(p,xs,[{label:'top 20% − bottom 20%',values:cumsum(D.longShort)},{label:'top 20% − all',values:cumsum(D.topMinusAll),color:PALETTE[2]}],{pct:true});
  if(!(D.sections&&D.sections.length)) panel('Backtest','no stored backtest for this manager yet (excess return with and without cost against the benchmark, drawdown and turnover appear here when the backtest step or qonline backtest has run)');
  var c=panel('Signal coverage','instruments with a signal on each date');
  lineChart(c,xs,[{label:'instruments',values:D.coverage,color:PALETTE[3],bars:true}],{height:160,zeroBased:true});
  (D.sections||[]).forEach(function(sec){
    var host=document.getElementById('section-'+sec.id);if(!host){host=el('section',{id:'section-'+sec.id});document.getElementById('sections').appendChild(host);}
    host.innerHTML='';host.style.display='';var p=el('div',{cls:'panel'},[el('h3',{text:sec.title})]);host.appendChild(p);
    var cs=el('div',{cls:'cards'});p.appendChild(cs);sec.cards.forEach(function(c){card(cs,c.label,c.format==='pct'?pct(c.value):fmt(c.value));});
    sec.charts.forEach(function(ch){var q=el('div',{cls:'panel'},[el('h3',{text:ch.title})]);p.appendChild(q);lineChart(q,ch.dates.map(ts),ch.series.map(function(x,i){return {label:x.name,values:x.values,color:PALETTE[i%PALETTE.length],bars:ch.bars};}),{height:220,pct:ch.format==='pct'});});
    sec.tables.forEach(function(t){if(t.title)p.appendChild(el('h3',{text:t.title}));table(p,t.columns.map(function(c,i){return {key:String(i),label:c,num:i>0,get:function(r){var v=r[i];return typeof v==='number'&&t.format==='pct'?pct(v):v;}};}),t.rows);});
  });
  var m=panel('Online models');
  table(m,modelCols().slice(0,7),D.models.filter(function(r){return r.online;}),{sortKey:'strategy'});
}
function icPage(){
  var xs=D.dates.map(ts),W=20;
  var p=panel('Daily IC and rank IC','thin: daily values; thick: '+W+'-day rolling mean (not drawn before '+W+' dates of data)');
  lineChart(p,xs,[{label:'IC',values:D.ic,color:'rgba(37,99,235,0.35)',width:1},{label:'rank IC',values:D.rankIc,color:'rgba(220,38,38,0.35)',width:1},{label:'IC '+W+'d mean',values:rolling(D.ic,W),color:PALETTE[0],width:2.5},{label:'rank IC '+W+'d mean',values:rolling(D.rankIc,W),color:PALETTE[1],width:2.5}],{height:300});
  var g=el('div',{cls:'grid2'});app.appendChild(g);
  // Monthly IC heatmap.
  var hm=el('div',{cls:'panel'},[el('h3',{text:'Monthly mean IC'})]);g.appendChild(hm);
  var by={};D.dates.forEach(function(d,i){if(D.ic[i]==null)return;var k=d.slice(0,7);(by[k]=by[k]||[]).push(D.ic[i]);});
  var years=Object.keys(by).map(function(k){return k.slice(0,4);}).filter(function(v,i,a){return a.indexOf(v)===i;}).sort();
  var t=el('table',{cls:'heat',id:'ic-heatmap'});var hr=el('tr',null,[el('th',{text:'year'})]);for(var mo=1;mo<=12;mo++)hr.appendChild(el('th',{text:String(mo)}));t.appendChild(hr);
  years.forEach(function(y){var tr=el('tr',null,[el('th',{text:y})]);for(var mo=1;mo<=12;mo++){var k=y+'-'+(mo<10?'0':'')+mo,v=by[k],td=el('td');if(v){var mu=v.reduce(function(a,b){return a+b;},0)/v.length;td.textContent=mu.toFixed(3);var a=Math.min(1,Math.abs(mu)/0.1);td.style.background=mu>=0?'rgba(22,163,74,'+a+')':'rgba(220,38,38,'+a+')';td.title=k+': '+v.length+' dates';}tr.appendChild(td);}t.appendChild(tr);});
  hm.appendChild(t);
  // Histogram.
  var hp=el('div',{cls:'panel'},[el('h3',{text:'Distribution of daily IC'})]);g.appendChild(hp);
  var vals=D.ic.filter(function(v){return v!=null;});
  if(vals.length){var lo=Math.min.apply(null,vals),hi=Math.max.apply(null,vals),n=20,wd=(hi-lo)/n||1,cnt=new Array(n).fill(0);vals.forEach(function(v){cnt[Math.min(n-1,Math.floor((v-lo)/wd))]++;});
    lineChart(hp,cnt.map(function(_,i){return lo+(i+0.5)*wd;}),[{label:'dates',values:cnt,color:PALETTE[0],bars:true}],{time:false,height:220,xLabel:'IC',zeroBased:true});}
  var q=panel('Cumulative return of score quantile groups','group 1 holds the highest scores; mean label return per group, summed');
  lineChart(q,xs,D.quantiles.map(function(g,i){return {label:'group '+(i+1),values:cumsum(g),color:PALETTE[i%PALETTE.length]};}),{pct:true,height:300});
}
function modelCols(){return [
  {key:'id',label:'id',get:function(r){return r.id.slice(0,12);}},
  {key:'strategy',label:'strategy',get:function(r){return r.strategy;}},
  {key:'modelClass',label:'model',get:function(r){return r.modelClass;}},
  {key:'test',label:'test segment',get:function(r){return (r.test.start||'?')+'..'+(r.test.end||'open');},sort:function(r){return r.test.start;}},
  {key:'online',label:'online',get:function(r){return r.online?el('span',{cls:'tag',text:'online'}):'';},sort:function(r){return r.online?0:1;}},
  {key:'ic',label:'IC',num:true,get:function(r){return r.metrics.ic==null?(r.metrics.IC==null?null:r.metrics.IC):r.metrics.ic;}},
  {key:'created',label:'created',get:function(r){return String(r.created).slice(0,19).replace('T',' ');}},
  {key:'params',label:'key params',get:function(r){return kv(r.params).slice(0,80);}},
  {key:'segments',label:'segments',get:function(r){return segs(r.segments);}},
  {key:'metrics',label:'metrics',get:function(r){return Object.keys(r.metrics).map(function(k){return k+' '+fmt(r.metrics[k]);}).join(', ');}},
  {key:'status',label:'status',get:function(r){return r.status;}}];}
function modelsPage(){
  var sel=[];var p=panel('Models','every recorder of the manager\'s strategies; click a header to sort, a row for its details; tick two to compare them');
  var cols=[{key:'pick',label:'',get:function(r){var c=el('input',{type:'checkbox','aria-label':'compare '+r.id});c.checked=sel.indexOf(r)>=0;c.addEventListener('click',function(ev){ev.stopPropagation();var i=sel.indexOf(r);if(i>=0)sel.splice(i,1);else{sel.push(r);if(sel.length>2)sel.shift();}compare();});return c;},sort:function(r){return sel.indexOf(r)>=0?0:1;}}].concat(modelCols());
  table(p,cols,D.models,{sortKey:'created',dir:-1,onRow:function(r,tr){detail(r);}});
  var det=panel('Details','select a row');det.id='model-detail';var cmp=panel('Compare','tick two models');cmp.id='model-compare';
  function detail(r){det.innerHTML='';det.appendChild(el('h3',{text:'Recorder '+r.id}));
    var fill=function(extra){var rows=[['strategy',r.strategy],['name',r.name],['model',r.modelClass],['status',r.status],['online',r.online?'online':'offline'],['created',r.created],['test',(r.test.start||'?')+'..'+(r.test.end||'open')],['segments',segs(r.segments)]];
      Object.keys(r.params).forEach(function(k){rows.push(['param '+k,JSON.stringify(r.params[k])]);});Object.keys(r.metrics).forEach(function(k){rows.push(['metric '+k,fmt(r.metrics[k])]);});
      if(extra)rows.push(['artifacts',extra.artifacts.join(', ')]);
      table(det,[{key:'k',label:'field',get:function(x){return x[0];}},{key:'v',label:'value',get:function(x){return x[1];}}],rows);
      if(extra&&extra.task)det.appendChild(el('pre',{text:JSON.stringify(extra.task,null,2)}));};
    if(MODE==='live')fetch('/api/models/'+encodeURIComponent(r.id)).then(function(x){return x.json();}).then(fill,function(){fill(null);});else fill(null);}
  function compare(){cmp.innerHTML='';cmp.appendChild(el('h3',{text:'Compare'}));if(sel.length<2){cmp.appendChild(el('p',{cls:'note',text:'tick two models'}));return;}
    var a=sel[0],b=sel[1],rows=[['id',a.id,b.id],['strategy',a.strategy,b.strategy],['model',a.modelClass,b.modelClass],['test',(a.test.start||'?')+'..'+(a.test.end||'open'),(b.test.start||'?')+'..'+(b.test.end||'open')],['segments',segs(a.segments),segs(b.segments)],['online',a.online?'online':'offline',b.online?'online':'offline'],['created',a.created,b.created]];
    var pk={};Object.keys(a.params).concat(Object.keys(b.params)).forEach(function(k){pk[k]=1;});Object.keys(pk).sort().forEach(function(k){rows.push(['param '+k,JSON.stringify(a.params[k]),JSON.stringify(b.params[k])]);});
    var mk={};Object.keys(a.metrics).concat(Object.keys(b.metrics)).forEach(function(k){mk[k]=1;});Object.keys(mk).sort().forEach(function(k){rows.push(['metric '+k,fmt(a.metrics[k]),fmt(b.metrics[k])]);});
    var t=table(cmp,[{key:'k',label:'',get:function(x){return x[0];}},{key:'a',label:'A',get:function(x){return x[1];}},{key:'b',label:'B',get:function(x){return x[2];}}],rows);
    Array.prototype.forEach.call(t.querySelectorAll('tbody tr'),function(tr){if(tr.children[1].textContent!==tr.children[2].textContent)tr.className='sel';});}
}
function timelinePage(){
  var p=panel('Which model served which dates','grey: test segment of the recorder; colour: dates it served the signal; hover a bar for its dates');
  var dates=D.dates,n=dates.length,rows=D.timeline;if(!n||!rows.length){p.appendChild(el('p',{cls:'note',text:'no signals yet'}));return;}
  var NS='http://www.w3.org/2000/svg',W=Math.max(600,p.clientWidth-24),L=230,R=10,RH=20,H=rows.length*RH+30;
  var svg=document.createElementNS(NS,'svg');svg.setAttribute('width',W);svg.setAttribute('height',H);svg.setAttribute('id','timeline');
  var idx={};dates.forEach(function(d,i){idx[d]=i;});
  function x(i){return L+(W-L-R)*i/Math.max(1,n-1);}
  function first(d){for(var i=0;i<n;i++)if(dates[i]>=d)return i;return -1;}
  function last(d){if(d==null)return n-1;for(var i=n-1;i>=0;i--)if(dates[i]<=d)return i;return -1;}
  function rect(y,a,b,color,title){var r=document.createElementNS(NS,'rect');r.setAttribute('x',x(a));r.setAttribute('y',y);r.setAttribute('width',Math.max(2,x(b)-x(a)));r.setAttribute('height',RH-6);r.setAttribute('fill',color);if(color==='#e5e7eb')r.setAttribute('stroke','#9ca3af');var t=document.createElementNS(NS,'title');t.textContent=title;r.appendChild(t);svg.appendChild(r);}
  function text(xx,y,s,cls,anchor){var t=document.createElementNS(NS,'text');t.setAttribute('x',xx);t.setAttribute('y',y);t.setAttribute('class',cls);if(anchor)t.setAttribute('text-anchor',anchor);t.textContent=s;svg.appendChild(t);}
  rows.forEach(function(r,k){var y=k*RH+4;text(4,y+11,r.strategy+' · '+r.model+' · '+r.recorder.slice(0,8),'tl-label');
    var a=first(r.testStart),b=last(r.testEnd);if(a>=0&&b>=a)rect(y,a,b,'#e5e7eb','test '+r.testStart+'..'+(r.testEnd||'open'));
    r.served.forEach(function(s){rect(y+3,idx[s[0]],idx[s[1]],PALETTE[k%PALETTE.length],r.recorder.slice(0,12)+' served '+s[0]+'..'+s[1]);});});
  var ticks=6;for(var i=0;i<=ticks;i++){var j=Math.round((n-1)*i/ticks);text(x(j),H-6,dates[j],'tl-axis',i===0?'start':i===ticks?'end':'middle');}
  p.appendChild(svg);
}
function historyPage(){
  var p=panel('Online-set history','each decision: which recorders a strategy had online from which date, and why');
  table(p,[{key:'seq',label:'seq',num:true,digits:0,get:function(h){return h.seq;}},{key:'strategy',label:'strategy',get:function(h){return h.strategy;}},{key:'effectiveDate',label:'effective',get:function(h){return h.effectiveDate;}},{key:'reason',label:'reason',get:function(h){return h.reason;}},{key:'recorderIds',label:'online recorders',get:function(h){return h.recorderIds.map(function(x){return x.slice(0,8);}).join(' ');}},{key:'createdAt',label:'when',get:function(h){return String(h.createdAt).slice(0,19).replace('T',' ');}}],D.history,{sortKey:'seq',dir:-1});
}
function tasksPage(){
  function draw(t){var p=panel('Task pool','counts by status over every pool of the store');var cards=el('div',{cls:'cards',id:'task-counts'});p.appendChild(cards);
    ['waiting','running','part_done','done','failed'].forEach(function(k){card(cards,k,String(t?t.total[k]||0:0));});
    var pools=t?Object.keys(t.pools):[];if(pools.length)table(p,[{key:'pool',label:'pool',get:function(x){return x;}}].concat(['waiting','running','part_done','done','failed'].map(function(k){return {key:k,label:k,num:true,digits:0,get:function(x){return t.pools[x][k]||0;}};})),pools);
    var q=panel('Running tasks','the worker holding each task and when its lease runs out');
    if(t&&t.running.length)table(q,[{key:'id',label:'task',get:function(r){return r.id.slice(0,12);}},{key:'pool',label:'pool',get:function(r){return r.pool;}},{key:'experiment',label:'experiment',get:function(r){return r.experiment;}},{key:'worker',label:'worker',get:function(r){return r.worker;}},{key:'leaseExpires',label:'lease expires',get:function(r){return r.leaseExpires;}},{key:'attempts',label:'attempts',num:true,digits:0,get:function(r){return r.attempts;}}],t.running);
    else q.appendChild(el('p',{cls:'note',text:'no running task'}));}
  if(MODE==='live')fetch('/api/tasks/stat').then(function(x){return x.json();}).then(draw,function(){draw(null);});else draw(TASKS);
}
function render(name){app.innerHTML='';Array.prototype.forEach.call(document.querySelectorAll('#sections section'),function(x){x.style.display=name==='overview'?'':'none';});document.getElementById('meta').textContent='state version '+D.stateVersion+' · last routine '+(D.lastRoutine||'none')+' · '+D.dates.length+' signal dates'+(D.dates.length?' '+D.dates[0]+'..'+D.dates[D.dates.length-1]:'');
  Array.prototype.forEach.call(document.querySelectorAll('header nav a'),function(a){a.className=a.getAttribute('data-page')===name?'active':'';});
  (pages()[name]||overview)();body.setAttribute('data-ready','1');}
function start(){
  if(MODE==='report'){D=JSON.parse(document.getElementById('qonline-data').textContent);TASKS=JSON.parse(document.getElementById('qonline-tasks').textContent);
    var go=function(){render((location.hash||'#overview').slice(1));};window.addEventListener('hashchange',go);go();}
  else fetch('/api/dashboard').then(function(x){if(!x.ok)throw new Error('HTTP '+x.status);return x.json();}).then(function(d){D=d;render(body.getAttribute('data-page'));},function(e){app.textContent='cannot load /api/dashboard: '+e.message;});
}
start();
})();`;
