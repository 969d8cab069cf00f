//! Dependency order of jobs: a deterministic topological sort with cycle reporting.
//!
//! Plugins consume each other's outputs (features before alphas before risk), so due jobs run
//! in dependency order; ties break by id so two runs of the same config always agree.

use std::collections::{BTreeMap, BTreeSet};

use super::error::ScheduleError;

/// `deps` maps each job id to the ids it depends on. Returns every id, each after all its
/// dependencies, choosing the smallest id whenever several are ready. With `strict`, a
/// dependency on an id missing from `deps` is an error; otherwise it is ignored (it may be
/// registered later). A cycle is always an error naming its ids.
pub fn dependency_order(
    deps: &BTreeMap<String, Vec<String>>,
    strict: bool,
) -> Result<Vec<String>, ScheduleError> {
    if strict {
        for (id, ds) in deps {
            if let Some(missing) = ds.iter().find(|d| !deps.contains_key(*d)) {
                return Err(ScheduleError::UnknownDependency {
                    id: id.clone(),
                    dependency: missing.clone(),
                });
            }
        }
    }
    // Known, de-duplicated dependencies of each job.
    let known: BTreeMap<&str, BTreeSet<&str>> = deps
        .iter()
        .map(|(id, ds)| {
            let set = ds
                .iter()
                .map(String::as_str)
                .filter(|d| deps.contains_key(*d))
                .collect();
            (id.as_str(), set)
        })
        .collect();
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, ds) in &known {
        for d in ds {
            dependents.entry(d).or_default().push(id);
        }
    }
    let mut waiting: BTreeMap<&str, usize> = known.iter().map(|(id, ds)| (*id, ds.len())).collect();
    let mut ready: BTreeSet<&str> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| *id)
        .collect();
    let mut order = Vec::with_capacity(known.len());
    while let Some(id) = ready.pop_first() {
        waiting.remove(id);
        order.push(id.to_string());
        for dep in dependents.get(id).into_iter().flatten() {
            if let Some(n) = waiting.get_mut(dep) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(dep);
                }
            }
        }
    }
    if waiting.is_empty() {
        return Ok(order);
    }
    Err(ScheduleError::Cycle {
        cycle: find_cycle(&known, &waiting.keys().copied().collect()),
    })
}

/// A cycle among `stuck` (jobs Kahn's algorithm could not order): walk dependencies inside
/// `stuck` from its smallest id until an id repeats; every stuck job has a stuck dependency, so
/// the walk must repeat.
fn find_cycle(known: &BTreeMap<&str, BTreeSet<&str>>, stuck: &BTreeSet<&str>) -> Vec<String> {
    let mut path: Vec<&str> = Vec::new();
    let Some(mut cur) = stuck.first().copied() else {
        return Vec::new();
    };
    loop {
        if let Some(pos) = path.iter().position(|p| *p == cur) {
            let mut cycle: Vec<String> = path[pos..].iter().map(|s| s.to_string()).collect();
            cycle.push(cur.to_string());
            return cycle;
        }
        path.push(cur);
        let next = known
            .get(cur)
            .and_then(|ds| ds.iter().find(|d| stuck.contains(*d)).copied());
        match next {
            Some(n) => cur = n,
            None => return path.iter().map(|s| s.to_string()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(edges: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(id, ds)| (id.to_string(), ds.iter().map(|d| d.to_string()).collect()))
            .collect()
    }

    #[test]
    fn orders_dependencies_first_with_ties_by_id() {
        // c depends on a and b; b depends on a; d is free. By hand: ready {a, d} -> a;
        // ready {b, d} -> b; ready {c, d} -> c; then d.
        let m = map(&[("c", &["a", "b"]), ("b", &["a"]), ("a", &[]), ("d", &[])]);
        assert_eq!(
            dependency_order(&m, true).unwrap(),
            vec!["a", "b", "c", "d"]
        );
    }

    #[test]
    fn reports_the_cycle() {
        let m = map(&[("a", &["c"]), ("b", &["a"]), ("c", &["b"]), ("z", &[])]);
        match dependency_order(&m, true) {
            Err(ScheduleError::Cycle { cycle }) => assert_eq!(cycle, vec!["a", "c", "b", "a"]),
            other => panic!("expected a cycle, got {other:?}"),
        }
        let m = map(&[("a", &["a"])]);
        assert_eq!(
            dependency_order(&m, true),
            Err(ScheduleError::Cycle {
                cycle: vec!["a".into(), "a".into()]
            })
        );
    }

    #[test]
    fn unknown_dependency_is_strict_only() {
        let m = map(&[("a", &["ghost"])]);
        assert_eq!(
            dependency_order(&m, true),
            Err(ScheduleError::UnknownDependency {
                id: "a".into(),
                dependency: "ghost".into()
            })
        );
        assert_eq!(dependency_order(&m, false).unwrap(), vec!["a"]);
    }
}
