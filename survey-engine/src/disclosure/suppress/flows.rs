//! The flow certificate (`Flows`): with at most one attribute, a component has no breach iff
//! every directed cut of a small graph has capacity at least `k`, which maximum flows to and
//! from one root vertex prove. It only ever proves "clean"; otherwise the exact search runs.

use super::NONE;
use std::cmp::Reverse;

/// A flow certificate that a component has no breach, for releases with at most one attribute.
///
/// With at most one attribute every atom lies in at most one whole-family row `u` and at most
/// one cut-family row `v`, so a vector of the span is `x_a = c_u + c_v` (a missing row counts
/// as 0). Put `d_u = c_u` on whole rows, `d_v = -c_v` on cut rows and `d_g = 0` on an extra
/// vertex `g`, and direct atom `a` from its whole row (or `g`) to its cut row (or `g`): then
/// `x_a = d(tail) - d(head)`, and the span is exactly the set of tensions `δd` of this graph
/// (shifting `d` changes nothing). A 0/1 tension `1_X` has level sets `S_i = {d >= i}` and
/// `1_X = Σ δ(1_{S_i})` with each term 0/1, so every breach contains a breach of the form
/// `X = δ⁺(S)`: a vertex set `S` that no atom enters, whose leaving atoms are all small, of
/// weight at most `k - 1`. Conversely such an `S` with a leaving atom is a breach.
///
/// Give each small atom capacity = weight forward, each big atom infinite capacity both ways,
/// and every atom infinite capacity backwards (head to tail). A vertex set `S` then has finite
/// leaving capacity iff no atom enters it and no big atom crosses it, and that capacity is the
/// weight of its leaving atoms. So the component has no breach iff every such cut has capacity
/// at least `k` (a cut of capacity 0 cannot occur: the component is connected). For a fixed
/// root `r`, every cut separates `r` from some vertex `v` one way or the other, so it suffices
/// that `λ(r → v) >= k` and `λ(v → r) >= k` for every vertex `v`, where `λ` is the minimum
/// capacity of a cut between them (= the maximum flow). [`Flows::reach`] shows this vertex by
/// vertex: by a local rule (if the arcs from `v` to vertices already shown carry at least `k`,
/// any cut separating `v` from `r` cuts all of them or separates a shown vertex from `r`; the
/// same the other way round), and by an augmenting-path maximum flow when the rule stalls (a
/// flow of value `k` respects capacities and conservation, so it bounds every such cut). If a
/// flow stays below `k`, or the work exceeds a budget, the answer is "not proven" and the exact
/// search runs as usual.
#[derive(Default)]
pub(super) struct Flows {
    /// Per atom: tail and head vertex, capacity (`None` = infinite).
    tail: Vec<usize>,
    head: Vec<usize>,
    cap: Vec<Option<usize>>,
    /// Arcs out of each vertex: `2a` (forward along atom a) or `2a + 1` (backward).
    adj_start: Vec<usize>,
    adj: Vec<usize>,
    /// Net flow along each atom (forward positive) in the current problem, valid where
    /// `flow_epoch` equals `problem`.
    flow: Vec<i64>,
    flow_epoch: Vec<u32>,
    problem: u32,
    /// Vertices reached by the current path search: `seen` equals `search`.
    seen: Vec<u32>,
    search: u32,
    parent: Vec<usize>,
    stack: Vec<(usize, usize)>,
    /// Certification from / towards the root: certified vertices, capacity of arcs joining
    /// each vertex to certified ones, and the vertices to propagate from.
    done: Vec<bool>,
    credit: Vec<usize>,
    work: Vec<usize>,
}

impl Flows {
    pub(super) fn clear(&mut self) {
        self.tail.clear();
        self.head.clear();
        self.cap.clear();
    }

    pub(super) fn add_atom(&mut self, tail: usize, head: usize, cap: Option<usize>) {
        self.tail.push(tail);
        self.head.push(head);
        self.cap.push(cap);
    }

    fn next_problem(&mut self) {
        self.problem = self.problem.wrapping_add(1);
        if self.problem == 0 {
            self.flow_epoch.iter_mut().for_each(|e| *e = 0);
            self.problem = 1;
        }
    }

    fn next_search(&mut self) {
        self.search = self.search.wrapping_add(1);
        if self.search == 0 {
            self.seen.iter_mut().for_each(|e| *e = 0);
            self.search = 1;
        }
    }

    /// Residual capacity of arc `e` (`None` = infinite).
    fn residual(&self, e: usize) -> Option<i64> {
        let a = e / 2;
        if e & 1 == 1 {
            return None;
        }
        let c = i64::try_from(self.cap[a]?).unwrap_or(i64::MAX);
        let f = if self.flow_epoch[a] == self.problem {
            self.flow[a]
        } else {
            0
        };
        Some(c - f)
    }

    fn other_end(&self, e: usize) -> usize {
        if e & 1 == 0 {
            self.head[e / 2]
        } else {
            self.tail[e / 2]
        }
    }

    /// Whether every cut of the graph on `nverts` vertices (the last one is `g`) has capacity
    /// at least `k`. `false`: not shown (a flow below `k`, or the work budget ran out).
    pub(super) fn certify(&mut self, nverts: usize, k: usize) -> bool {
        let natoms = self.tail.len();
        // Adjacency; g takes part only if some atom touches it.
        self.adj_start.clear();
        self.adj_start.resize(nverts + 1, 0);
        for a in 0..natoms {
            self.adj_start[self.tail[a] + 1] += 1;
            self.adj_start[self.head[a] + 1] += 1;
        }
        for v in 0..nverts {
            self.adj_start[v + 1] += self.adj_start[v];
        }
        self.adj.clear();
        self.adj.resize(self.adj_start[nverts], 0);
        let mut fill: Vec<usize> = self.adj_start[..nverts].to_vec();
        for a in 0..natoms {
            self.adj[fill[self.tail[a]]] = 2 * a;
            fill[self.tail[a]] += 1;
            self.adj[fill[self.head[a]]] = 2 * a + 1;
            fill[self.head[a]] += 1;
        }
        self.flow.resize(natoms, 0);
        self.flow_epoch.resize(natoms, 0);
        self.seen.resize(nverts, 0);
        self.parent.resize(nverts, NONE);
        let live = (0..nverts)
            .filter(|&v| self.adj_start[v + 1] > self.adj_start[v])
            .count();
        let Some(root) =
            (0..nverts).max_by_key(|&v| (self.adj_start[v + 1] - self.adj_start[v], Reverse(v)))
        else {
            return true;
        };
        let mut budget = 8 * (self.adj.len() + nverts) * k.max(1);
        self.reach(root, live, k, false, &mut budget)
            && self.reach(root, live, k, true, &mut budget)
    }

    /// Capacity of arc `e` (`None` = infinite), ignoring flow.
    fn capacity(&self, e: usize) -> Option<usize> {
        if e & 1 == 1 {
            None
        } else {
            self.cap[e / 2]
        }
    }

    /// Shows `λ(v → root) >= k` for every live vertex `v` (`from_root == false`) or
    /// `λ(root → v) >= k` (`from_root == true`). A vertex is certified when the arcs joining it
    /// to certified vertices (leaving it, resp. entering it) carry at least `k`: a cut that
    /// separates it from the root either cuts all those arcs or separates a certified vertex
    /// from the root, at cost `>= k`. When that stalls, a maximum flow decides one vertex.
    fn reach(
        &mut self,
        root: usize,
        live: usize,
        k: usize,
        from_root: bool,
        budget: &mut usize,
    ) -> bool {
        let nverts = self.adj_start.len().saturating_sub(1);
        self.done.clear();
        self.done.resize(nverts, false);
        self.credit.clear();
        self.credit.resize(nverts, 0);
        self.work.clear();
        self.done[root] = true;
        self.work.push(root);
        let mut certified = 1;
        loop {
            while let Some(y) = self.work.pop() {
                // Arcs x -> y (when certifying towards the root) or y -> x (from the root).
                for p in self.adj_start[y]..self.adj_start[y + 1] {
                    // e leaves y; its reverse e ^ 1 enters y. x is the atom's other end.
                    let e = self.adj[p];
                    let arc = if from_root { e } else { e ^ 1 };
                    let x = self.other_end(e);
                    if self.done[x] {
                        continue;
                    }
                    let c = self.capacity(arc).unwrap_or(k);
                    self.credit[x] = self.credit[x].saturating_add(c);
                    if self.credit[x] >= k {
                        self.done[x] = true;
                        certified += 1;
                        self.work.push(x);
                    }
                }
            }
            if certified >= live {
                return true;
            }
            // Stalled: decide the live vertex closest to certified by a maximum flow.
            let Some(x) = (0..nverts)
                .filter(|&x| !self.done[x] && self.adj_start[x + 1] > self.adj_start[x])
                .max_by_key(|&x| (self.credit[x], Reverse(x)))
            else {
                return true;
            };
            let ok = if from_root {
                self.max_flow_at_least(root, x, k, budget)
            } else {
                self.max_flow_at_least(x, root, k, budget)
            };
            if !ok {
                return false;
            }
            self.done[x] = true;
            certified += 1;
            self.work.push(x);
        }
    }

    /// Whether the maximum flow from `s` to `t` is at least `need` (augmenting paths found by
    /// depth-first search in the residual graph). `false` also when `budget` runs out.
    fn max_flow_at_least(&mut self, s: usize, t: usize, need: usize, budget: &mut usize) -> bool {
        self.next_problem();
        let need = i64::try_from(need).unwrap_or(i64::MAX);
        let mut total = 0i64;
        while total < need {
            // Depth-first search for an augmenting path.
            self.next_search();
            let search = self.search;
            self.seen[s] = search;
            self.stack.clear();
            self.stack.push((s, self.adj_start[s]));
            let mut found = false;
            while let Some(&mut (v, ref mut pos)) = self.stack.last_mut() {
                if *pos == self.adj_start[v + 1] {
                    self.stack.pop();
                    continue;
                }
                let e = self.adj[*pos];
                *pos += 1;
                if *budget == 0 {
                    return false;
                }
                *budget -= 1;
                let w = self.other_end(e);
                if self.seen[w] == search || self.residual(e).is_some_and(|r| r <= 0) {
                    continue;
                }
                self.seen[w] = search;
                self.parent[w] = e;
                if w == t {
                    found = true;
                    break;
                }
                self.stack.push((w, self.adj_start[w]));
            }
            if !found {
                return false;
            }
            // Bottleneck along the path, then push.
            let mut bottleneck: Option<i64> = None;
            let mut v = t;
            while v != s {
                let e = self.parent[v];
                if let Some(r) = self.residual(e) {
                    bottleneck = Some(bottleneck.map_or(r, |b| b.min(r)));
                }
                v = self.other_end(e ^ 1);
            }
            let Some(push) = bottleneck else {
                return true; // an all-infinite path: unbounded flow
            };
            let push = push.min(need - total);
            let mut v = t;
            while v != s {
                let e = self.parent[v];
                let a = e / 2;
                if self.flow_epoch[a] != self.problem {
                    self.flow_epoch[a] = self.problem;
                    self.flow[a] = 0;
                }
                self.flow[a] += if e & 1 == 0 { push } else { -push };
                v = self.other_end(e ^ 1);
            }
            total += push;
        }
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testing::Rng;
    use num_rational::BigRational;
    use num_traits::{One, Zero};

    /// Rank of rational rows.
    fn rank(rows: &[Vec<BigRational>]) -> usize {
        let mut m = rows.to_vec();
        let cols = m.first().map_or(0, Vec::len);
        let mut rank = 0;
        for c in 0..cols {
            let Some(p) = (rank..m.len()).find(|&i| !m[i][c].is_zero()) else {
                continue;
            };
            m.swap(rank, p);
            let pivot = m[rank].clone();
            for (i, row) in m.iter_mut().enumerate() {
                if i != rank && !row[c].is_zero() {
                    let f = &row[c] / &pivot[c];
                    for (x, q) in row.iter_mut().zip(&pivot) {
                        *x -= &f * q;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    fn ind(n: usize, set: impl Fn(usize) -> bool) -> Vec<BigRational> {
        (0..n)
            .map(|i| {
                if set(i) {
                    BigRational::one()
                } else {
                    BigRational::zero()
                }
            })
            .collect()
    }

    /// Whether some non-empty set of small atoms of weight < k is in the span of `rows`.
    fn brute_breach(rows: &[Vec<BigRational>], weights: &[usize], k: usize) -> bool {
        let n = weights.len();
        let base = rank(rows);
        (1u32..(1 << n)).any(|mask| {
            let inside = |i: usize| mask & (1 << i) != 0;
            let w: usize = (0..n).filter(|&i| inside(i)).map(|i| weights[i]).sum();
            if w >= k || (0..n).any(|i| inside(i) && weights[i] >= k) {
                return false;
            }
            let mut with = rows.to_vec();
            with.push(ind(n, inside));
            rank(&with) == base
        })
    }

    /// Random connected components with at most one attribute (whole rows, cut rows, ground):
    /// the certificate holds exactly when brute force finds no breach.
    #[test]
    fn flow_certificate_agrees_with_brute_force() {
        let mut rng = Rng(5);
        let mut flows = Flows::default();
        let (mut certified, mut refused) = (0, 0);
        for _ in 0..3000 {
            let k = 3 + rng.next(4);
            let whole = 1 + rng.next(3);
            let cut = rng.next(4);
            let rowsn = whole + cut;
            let ground = rowsn;
            let natoms = 1 + rng.next(11);
            let mut ends = Vec::new();
            for _ in 0..natoms {
                let t = if rng.next(6) == 0 {
                    ground
                } else {
                    rng.next(whole)
                };
                let h = if cut == 0 || rng.next(6) == 0 {
                    ground
                } else {
                    whole + rng.next(cut)
                };
                if t == ground && h == ground {
                    continue;
                }
                // Mostly small weights, sometimes big.
                let w = if rng.next(5) == 0 {
                    k + rng.next(3)
                } else {
                    1 + rng.next(k - 1)
                };
                ends.push((t, h, w));
            }
            // Keep connected cases only (a component is connected by construction).
            let mut comp: Vec<usize> = (0..=rowsn).collect();
            fn find(c: &mut [usize], mut v: usize) -> usize {
                while c[v] != v {
                    v = c[v];
                }
                v
            }
            for &(t, h, _) in &ends {
                let (a, b) = (find(&mut comp, t), find(&mut comp, h));
                comp[a] = b;
            }
            let used: Vec<usize> = (0..=rowsn)
                .filter(|&v| ends.iter().any(|&(t, h, _)| t == v || h == v))
                .collect();
            if ends.is_empty()
                || used.len() != rowsn + usize::from(used.contains(&ground))
                || used
                    .iter()
                    .any(|&v| find(&mut comp, v) != find(&mut comp, used[0]))
            {
                continue;
            }
            flows.clear();
            for &(t, h, w) in &ends {
                flows.add_atom(t, h, (w < k).then_some(w));
            }
            let cert = flows.certify(rowsn + 1, k);
            let rows: Vec<Vec<BigRational>> = (0..rowsn)
                .map(|r| ind(ends.len(), |a| ends[a].0 == r || ends[a].1 == r))
                .collect();
            let weights: Vec<usize> = ends.iter().map(|e| e.2).collect();
            let breach = brute_breach(&rows, &weights, k);
            assert_eq!(cert, !breach, "k {k}, rows {rowsn}, atoms {ends:?}");
            if cert {
                certified += 1;
            } else {
                refused += 1;
            }
        }
        assert!(certified > 100 && refused > 100, "{certified} / {refused}");
    }
}
