//! Small helpers for maps that the wasm pays for by the kilobyte.

/// A map built by inserting each pair. `collect()` into a `BTreeMap` sorts its input first, with
/// a stable sort compiled anew for every iterator it is given: about 4 KB of wasm each, for
/// maps of a few purposes.
pub fn map_by_insertion<K: Ord, V>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> std::collections::BTreeMap<K, V> {
    let mut map = std::collections::BTreeMap::new();
    for (key, value) in pairs {
        map.insert(key, value);
    }
    map
}
