//! The organisation tree as users name it: unit paths like `Acme/Engineering/Platform`.

use std::collections::HashMap;

use crate::disclosure::UnitTree;
use crate::error::EngineError;

/// Units with names; unit 0 is the root. Children are kept sorted by name.
#[derive(Clone, Debug)]
pub struct OrgTree {
    names: Vec<String>,
    parents: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    by_path: HashMap<String, usize>,
}

impl OrgTree {
    /// A tree holding only the root.
    pub fn new(root: &str) -> Result<Self, EngineError> {
        let root = root.trim();
        if root.is_empty() || root.contains('/') {
            return Err(EngineError::InvalidInput(format!(
                "\"{root}\" is not a unit name"
            )));
        }
        Ok(OrgTree {
            names: vec![root.to_string()],
            parents: vec![None],
            children: vec![Vec::new()],
            by_path: HashMap::from([(root.to_string(), 0)]),
        })
    }

    /// Splits and checks a path: non-empty segments, trimmed.
    pub fn segments(path: &str) -> Result<Vec<&str>, String> {
        let segments: Vec<&str> = path.split('/').map(str::trim).collect();
        if path.trim().is_empty() {
            return Err("the unit path is empty".to_string());
        }
        if segments.iter().any(|s| s.is_empty()) {
            return Err(format!("the unit path \"{path}\" has an empty segment"));
        }
        Ok(segments)
    }

    /// The unit at `path`, creating it and any missing ancestors. The path must start at the root.
    pub fn insert(&mut self, path: &str) -> Result<usize, String> {
        let segments = Self::segments(path)?;
        let root = self.names.first().map(String::as_str).unwrap_or_default();
        if segments.first() != Some(&root) {
            return Err(format!(
                "the unit path \"{path}\" does not start at the organisation root \"{root}\""
            ));
        }
        let mut unit = 0;
        let mut prefix = root.to_string();
        for name in segments.iter().skip(1) {
            prefix.push('/');
            prefix.push_str(name);
            unit = match self.by_path.get(&prefix) {
                Some(&u) => u,
                None => {
                    let u = self.names.len();
                    self.names.push((*name).to_string());
                    self.parents.push(Some(unit));
                    self.children.push(Vec::new());
                    let names = &self.names;
                    if let Some(siblings) = self.children.get_mut(unit) {
                        let at = siblings.partition_point(|&c| names[c].as_str() < *name);
                        siblings.insert(at, u);
                    }
                    self.by_path.insert(prefix.clone(), u);
                    u
                }
            };
        }
        Ok(unit)
    }

    /// The same tree numbered in tree order (depth first, children by name), whatever order
    /// its paths were inserted in. Disclosure control walks units and breaks ties between
    /// equally good cells by their numbers, so two releases of the same answers must number
    /// units alike: otherwise each could hide a different cell, and the two together would
    /// give away the small group both protect (D2).
    pub fn canonical(&self) -> OrgTree {
        let order = self.tree_order();
        let mut new_of = vec![0; self.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old] = new;
        }
        OrgTree {
            names: order.iter().map(|&o| self.names[o].clone()).collect(),
            parents: order
                .iter()
                .map(|&o| self.parents[o].map(|p| new_of[p]))
                .collect(),
            children: order
                .iter()
                .map(|&o| self.children[o].iter().map(|&c| new_of[c]).collect())
                .collect(),
            by_path: self
                .by_path
                .iter()
                .map(|(path, &u)| (path.clone(), new_of[u]))
                .collect(),
        }
    }

    /// Builds a tree from paths, numbered canonically (see [`OrgTree::canonical`]); the first
    /// path's first segment is the root.
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Result<Self, EngineError> {
        let mut paths = paths.into_iter().peekable();
        let first = paths.peek().copied().unwrap_or_default();
        let root = Self::segments(first)
            .map_err(EngineError::InvalidInput)?
            .first()
            .copied()
            .unwrap_or_default()
            .to_string();
        let mut tree = OrgTree::new(&root)?;
        for p in paths {
            tree.insert(p).map_err(EngineError::InvalidInput)?;
        }
        Ok(tree.canonical())
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn find(&self, path: &str) -> Option<usize> {
        let canonical = Self::segments(path).ok()?.join("/");
        self.by_path.get(&canonical).copied()
    }

    pub fn name(&self, unit: usize) -> &str {
        self.names.get(unit).map_or("", String::as_str)
    }

    pub fn parent(&self, unit: usize) -> Option<usize> {
        self.parents.get(unit).copied().flatten()
    }

    pub fn children(&self, unit: usize) -> &[usize] {
        self.children.get(unit).map_or(&[], Vec::as_slice)
    }

    /// How many levels below the root `unit` is (the root is 0).
    pub fn depth(&self, unit: usize) -> usize {
        let mut depth = 0;
        let mut u = unit;
        while let Some(p) = self.parent(u) {
            depth += 1;
            u = p;
        }
        depth
    }

    /// The full path from the root, names joined by `/`.
    pub fn path(&self, unit: usize) -> String {
        let mut names = vec![self.name(unit)];
        let mut u = unit;
        while let Some(p) = self.parent(u) {
            names.push(self.name(p));
            u = p;
        }
        names.reverse();
        names.join("/")
    }

    /// Units depth first from the root, children by name: the order of every report.
    pub fn tree_order(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.len());
        let mut stack = vec![0];
        while let Some(u) = stack.pop() {
            order.push(u);
            stack.extend(self.children(u).iter().rev());
        }
        order
    }

    /// The same tree in the shape disclosure control works on.
    pub fn unit_tree(&self) -> Result<UnitTree, EngineError> {
        UnitTree::new(self.parents.clone()).map_err(|e| EngineError::InvalidInput(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn units_are_numbered_in_tree_order_whatever_order_the_paths_come_in() {
        let paths = [
            "Acme/Sales/North",
            "Acme/Eng",
            "Acme",
            "Acme/Eng/Data",
            "Acme/B",
        ];
        let a = OrgTree::from_paths(paths).unwrap();
        let b = OrgTree::from_paths(paths.iter().rev().copied()).unwrap();
        let numbered = |t: &OrgTree| (0..t.len()).map(|u| t.path(u)).collect::<Vec<_>>();
        assert_eq!(
            numbered(&a),
            [
                "Acme",
                "Acme/B",
                "Acme/Eng",
                "Acme/Eng/Data",
                "Acme/Sales",
                "Acme/Sales/North"
            ]
        );
        assert_eq!(numbered(&a), numbered(&b));
        assert_eq!(a.tree_order(), (0..a.len()).collect::<Vec<_>>());
        assert_eq!(b.find("Acme/Eng/Data"), Some(3));
        assert_eq!(b.parent(3), Some(2));
        assert_eq!(b.children(4), [5]);
    }
}
