//! The merge of partial specs: built-in defaults < project `defaults` < the job's `spec` <
//! the environment's `overrides` < the job's `environments.<env>` (later wins).
//!
//! Maps merge deeply; lists and scalars replace; `null` removes the inherited value.

use serde_json::Value as Json;

/// Merges `overlay` into `base` in place.
pub fn merge(base: &mut Json, overlay: &Json) {
    match (base, overlay) {
        (Json::Object(b), Json::Object(o)) => {
            for (key, value) in o {
                if value.is_null() {
                    b.remove(key);
                } else if let Some(existing) = b.get_mut(key) {
                    merge(existing, value);
                } else {
                    let mut v = value.clone();
                    strip_nulls(&mut v);
                    b.insert(key.clone(), v);
                }
            }
        }
        (b, o) => {
            *b = o.clone();
            strip_nulls(b);
        }
    }
}

/// Removes `null` map values (they mean "not set").
pub fn strip_nulls(v: &mut Json) {
    match v {
        Json::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Json::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Merges layers in order (first is lowest).
pub fn merge_all<'a>(layers: impl IntoIterator<Item = &'a Json>) -> Json {
    let mut out = Json::Object(serde_json::Map::new());
    for layer in layers {
        if layer.is_object() {
            merge(&mut out, layer);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_merge_deeply() {
        let out = merge_all([
            &json!({"executor": {"instances": 1, "memory": "1g"}}),
            &json!({"executor": {"instances": 4}}),
        ]);
        assert_eq!(out, json!({"executor": {"instances": 4, "memory": "1g"}}));
    }

    #[test]
    fn lists_replace() {
        let out = merge_all([
            &json!({"arguments": ["a", "b"]}),
            &json!({"arguments": ["c"]}),
        ]);
        assert_eq!(out, json!({"arguments": ["c"]}));
    }

    #[test]
    fn scalars_replace_and_types_may_change() {
        let out = merge_all([&json!({"a": {"b": 1}}), &json!({"a": "x"})]);
        assert_eq!(out, json!({"a": "x"}));
    }

    #[test]
    fn null_removes() {
        let out = merge_all([
            &json!({"imagePullSecrets": ["r"], "executor": {"instances": 2, "cores": 2}}),
            &json!({"imagePullSecrets": null, "executor": {"cores": null}}),
        ]);
        assert_eq!(out, json!({"executor": {"instances": 2}}));
    }

    #[test]
    fn null_inside_new_values_is_dropped() {
        let out = merge_all([
            &json!({}),
            &json!({"driver": {"cores": null, "memory": "2g"}}),
        ]);
        assert_eq!(out, json!({"driver": {"memory": "2g"}}));
    }

    #[test]
    fn order_later_wins() {
        let builtin = json!({"executor": {"instances": 1}});
        let project = json!({"executor": {"instances": 2}});
        let job = json!({"executor": {"instances": 3}});
        let env = json!({"executor": {"instances": 4}});
        let job_env = json!({"executor": {"instances": 5}});
        assert_eq!(
            merge_all([&builtin, &project, &job])["executor"]["instances"],
            3
        );
        assert_eq!(
            merge_all([&builtin, &project, &job, &env])["executor"]["instances"],
            4
        );
        assert_eq!(
            merge_all([&builtin, &project, &job, &env, &job_env])["executor"]["instances"],
            5
        );
    }
}
