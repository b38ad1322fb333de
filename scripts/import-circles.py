#!/usr/bin/env python3
"""Module dependency graph of src/ from `use` paths and `crate::`/`super::` paths (re-exports
resolved to their source); prints every import circle and exits 1 if there is one.
Usage: scripts/import-circles.py [SRC_DIR]"""
import os,re,sys
root=sys.argv[1] if len(sys.argv)>1 else 'src'
mods={}
for d,_,fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'): continue
        p=os.path.join(d,f); rel=os.path.relpath(p,root)[:-3].split(os.sep)
        if rel[-1] in ('mod','lib','main'): rel=rel[:-1]
        mods['::'.join(rel)]=p
def resolve(cur,path,depth=0):
    parts=path.split('::')
    if parts[0]=='crate': base=[]; parts=parts[1:]
    elif parts[0]=='super':
        base=cur.split('::') if cur else []
        while parts and parts[0]=='super': base=base[:-1]; parts=parts[1:]
    elif parts[0]=='self': base=cur.split('::') if cur else []; parts=parts[1:]
    else:
        base=cur.split('::') if cur else []
        if '::'.join(base+parts[:1]) not in mods: return None
    best=None;bi=0
    for i in range(len(parts)+1):
        m='::'.join(base+parts[:i])
        if m in mods: best=m;bi=i
    if best is not None and bi<len(parts) and (best,parts[bi]) in reexp and depth<5:
        t=resolve(best,reexp[(best,parts[bi])],depth+1)
        if t: return t
    return best
def expand(s):
    i=s.find('{')
    if i<0: return [s]
    pre=s[:i]; depth=0; items=[]; cur=''
    body=s[i+1:s.rfind('}')]
    for ch in body:
        if ch=='{': depth+=1
        if ch=='}': depth-=1
        if ch==',' and depth==0: items.append(cur); cur=''
        else: cur+=ch
    if cur: items.append(cur)
    out=[]
    for it in items:
        for e in expand(it): out.append(pre+e)
    return out
reexp={}
for m,p in mods.items():
    text=open(p).read().split('#[cfg(test)]')[0]
    for u in re.finditer(r'\bpub(?:\([^)]*\))?\s+use\s+([^;]+);',text):
        for path in expand(u.group(1).replace('\n',' ').replace(' ','')):
            name=path.split('::')[-1]
            if ' as ' in path: name=path.split(' as ')[1]
            full=path if path.split('::')[0] in ('crate','super','self') else 'self::'+path
            reexp[(m,name)]=full
edges={m:set() for m in mods}
for m,p in mods.items():
    text=open(p).read()
    text=text.split('#[cfg(test)]')[0]
    text=re.sub(r'//[^\n]*','',text)
    # use groups (crate::a::{b, c::d}) are expanded by expand()
    text=re.sub(r'\bpub(?:\([^)]*\))?\s+use\s+[^;]+;','',text)
    for u in re.finditer(r'\buse\s+([^;]+);',text):
        s=u.group(1).replace('\n',' ').replace(' ','')
        for path in expand(s):
            path=path.split(' as ')[0]
            t=resolve(m,path)
            if t and t!=m: edges[m].add(t)
    for u in re.finditer(r'(?<![\w:])((?:crate|super|\w+)(?:::\w+)+)',text):
        t=resolve(m,u.group(1))
        if t and t!=m: edges[m].add(t)
# Tarjan
idx={};low={};st=[];on=set();res=[];c=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w); low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v: break
        res.append(comp)
for v in mods:
    if v not in idx: sc(v)
cyc=[sorted(c) for c in res if len(c)>1]
for c in cyc:
    print('circle:',' '.join(x or 'crate' for x in c))
    for a in c:
        print('   ',a or 'crate','->',', '.join(sorted(b or 'crate' for b in edges[a] if b in c)))
sys.exit(1 if cyc else 0)
