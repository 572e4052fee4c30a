//! What a profile field can hold, and for each kind of value how it is read from the file and from
//! its `OAUTHCTL_*` variable, how the layers merge, how `profiles show` prints it and how
//! `profiles add` writes it. A field declares its kind once (`super::profile_fields!`); these impls
//! are the only place that behaviour is written.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::resolve::{Origin, parse_header};

/// One kind of profile value.
pub trait Kind {
    /// The value, once resolved.
    type Value: Clone + fmt::Debug + PartialEq;
    /// What the config file holds (read by serde, so that a wrong type is reported with its line).
    type File: DeserializeOwned + Clone + fmt::Debug;
    /// What one layer (file, env var, flag) holds: `Option<Value>`, or a map's pairs.
    type Layer: Clone + fmt::Debug + Default + PartialEq;

    /// The file's value as a layer; paths are relative to the file (`config_path`).
    fn from_file(file: &Option<Self::File>, config_path: &Path) -> Self::Layer;
    /// `value`, not empty, from the env var `var` (named in errors).
    fn from_env(var: &str, value: &str) -> Result<Self::Layer>;
    /// Flag, env and file layers, in that order of precedence, merged; with the origin of what
    /// was kept (`None`: no layer had anything).
    fn merge(layers: [(Self::Layer, Origin); 3]) -> (Self::Layer, Option<Origin>);
    /// As `profiles show` prints a merged layer (`Null` for nothing), secrets masked.
    fn show(layer: &Self::Layer) -> Value;
    /// As `profiles add` writes a layer into the file; `None` for nothing.
    fn to_toml(layer: &Self::Layer) -> Option<toml_edit::Item>;
    /// What `profiles add` checks before writing (`flag` names the option in the message).
    fn check_added(_layer: &Self::Layer, _flag: &str) -> Result<()> {
        Ok(())
    }
}

/// The first layer that has a value wins (flag > env > file).
fn first<V>(layers: [(Option<V>, Origin); 3]) -> (Option<V>, Option<Origin>) {
    layers
        .into_iter()
        .find_map(|(value, origin)| value.map(|v| (Some(v), Some(origin))))
        .unwrap_or((None, None))
}

fn parse_env<T: FromStr>(var: &str, value: &str) -> Result<Option<T>>
where
    T::Err: fmt::Display,
{
    value
        .parse::<T>()
        .map(Some)
        .map_err(|e| Error::Config(format!("env var {var}: `{value}` is not valid: {e}")))
}

/// Free text: a client id, a scope, an audience.
pub struct Text;

impl Kind for Text {
    type Value = String;
    type File = String;
    type Layer = Option<String>;

    fn from_file(file: &Option<String>, _: &Path) -> Option<String> {
        file.clone()
    }
    fn from_env(_: &str, value: &str) -> Result<Option<String>> {
        Ok(Some(value.to_string()))
    }
    fn merge(layers: [(Option<String>, Origin); 3]) -> (Option<String>, Option<Origin>) {
        first(layers)
    }
    fn show(layer: &Option<String>) -> Value {
        layer.clone().map_or(Value::Null, Value::String)
    }
    fn to_toml(layer: &Option<String>) -> Option<toml_edit::Item> {
        layer.as_deref().map(toml_edit::value)
    }
}

/// An endpoint URL: text that `profiles add` checks is https (or loopback http).
pub struct Url;

impl Kind for Url {
    type Value = String;
    type File = String;
    type Layer = Option<String>;

    fn from_file(file: &Option<String>, config_path: &Path) -> Option<String> {
        Text::from_file(file, config_path)
    }
    fn from_env(var: &str, value: &str) -> Result<Option<String>> {
        Text::from_env(var, value)
    }
    fn merge(layers: [(Option<String>, Origin); 3]) -> (Option<String>, Option<Origin>) {
        first(layers)
    }
    fn show(layer: &Option<String>) -> Value {
        Text::show(layer)
    }
    fn to_toml(layer: &Option<String>) -> Option<toml_edit::Item> {
        Text::to_toml(layer)
    }
    fn check_added(layer: &Option<String>, flag: &str) -> Result<()> {
        match layer {
            Some(url) => crate::http::check_url(url, flag),
            None => Ok(()),
        }
    }
}

/// A config keyword (`basic`, `query`, `device_code`, …): one of the `config::keyword_enum!`s.
pub trait KeywordValue:
    Copy + fmt::Debug + PartialEq + DeserializeOwned + FromStr<Err = String>
{
    fn as_str(self) -> &'static str;
}

/// A keyword of type `T`.
pub struct Keyword<T>(std::marker::PhantomData<T>);

impl<T: KeywordValue> Kind for Keyword<T> {
    type Value = T;
    type File = T;
    type Layer = Option<T>;

    fn from_file(file: &Option<T>, _: &Path) -> Option<T> {
        *file
    }
    fn from_env(var: &str, value: &str) -> Result<Option<T>> {
        parse_env(var, value)
    }
    fn merge(layers: [(Option<T>, Origin); 3]) -> (Option<T>, Option<Origin>) {
        first(layers)
    }
    fn show(layer: &Option<T>) -> Value {
        layer.map_or(Value::Null, |v| v.as_str().into())
    }
    fn to_toml(layer: &Option<T>) -> Option<toml_edit::Item> {
        layer.map(|v| toml_edit::value(v.as_str()))
    }
}

/// A whole number: seconds or a count.
pub struct Number<T>(std::marker::PhantomData<T>);

impl<T> Kind for Number<T>
where
    T: Copy + fmt::Debug + PartialEq + DeserializeOwned + FromStr + Into<u64> + Into<Value>,
    T::Err: fmt::Display,
{
    type Value = T;
    type File = T;
    type Layer = Option<T>;

    fn from_file(file: &Option<T>, _: &Path) -> Option<T> {
        *file
    }
    fn from_env(var: &str, value: &str) -> Result<Option<T>> {
        parse_env(var, value)
    }
    fn merge(layers: [(Option<T>, Origin); 3]) -> (Option<T>, Option<Origin>) {
        first(layers)
    }
    fn show(layer: &Option<T>) -> Value {
        layer.map_or(Value::Null, Into::<Value>::into)
    }
    fn to_toml(layer: &Option<T>) -> Option<toml_edit::Item> {
        // TOML integers are i64.
        layer.map(|n| toml_edit::value(Into::<u64>::into(n).min(i64::MAX as u64) as i64))
    }
}

/// On or off (`dpop = true`): `true`/`false` in the file; `true`, `false`, `1`, `0` in the
/// variable; `--dpop` (or `--dpop=false`) as a flag.
pub struct Switch;

/// A switch's text, as a flag or variable gives it.
pub fn parse_switch(value: &str) -> std::result::Result<bool, String> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("`{value}` is not one of: true, false, 1, 0")),
    }
}

impl Kind for Switch {
    type Value = bool;
    type File = bool;
    type Layer = Option<bool>;

    fn from_file(file: &Option<bool>, _: &Path) -> Option<bool> {
        *file
    }
    fn from_env(var: &str, value: &str) -> Result<Option<bool>> {
        parse_switch(value)
            .map(Some)
            .map_err(|e| Error::Config(format!("env var {var}: {e}")))
    }
    fn merge(layers: [(Option<bool>, Origin); 3]) -> (Option<bool>, Option<Origin>) {
        first(layers)
    }
    fn show(layer: &Option<bool>) -> Value {
        layer.map_or(Value::Null, Value::Bool)
    }
    fn to_toml(layer: &Option<bool>) -> Option<toml_edit::Item> {
        layer.map(toml_edit::value)
    }
}

/// A file path; relative to the config file when given there.
pub struct FilePath;

impl Kind for FilePath {
    type Value = PathBuf;
    type File = PathBuf;
    type Layer = Option<PathBuf>;

    fn from_file(file: &Option<PathBuf>, config_path: &Path) -> Option<PathBuf> {
        file.as_deref().map(|path| relative_to(path, config_path))
    }
    fn from_env(_: &str, value: &str) -> Result<Option<PathBuf>> {
        Ok(Some(PathBuf::from(value)))
    }
    fn merge(layers: [(Option<PathBuf>, Origin); 3]) -> (Option<PathBuf>, Option<Origin>) {
        first(layers)
    }
    fn show(layer: &Option<PathBuf>) -> Value {
        layer
            .as_ref()
            .map_or(Value::Null, |p| p.display().to_string().into())
    }
    fn to_toml(layer: &Option<PathBuf>) -> Option<toml_edit::Item> {
        layer
            .as_ref()
            .map(|p| toml_edit::value(p.to_string_lossy().as_ref()))
    }
}

/// A program and its arguments, run without a shell.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Argv(pub Vec<String>);

impl FromStr for Argv {
    type Err = String;
    /// One JSON array of strings, not empty (a flag or an env var: clap or a shell would split
    /// anything else).
    fn from_str(s: &str) -> std::result::Result<Argv, String> {
        match serde_json::from_str::<Vec<String>>(s) {
            Ok(argv) if !argv.is_empty() => Ok(Argv(argv)),
            _ => Err(
                "expected a non-empty JSON array of strings, e.g. '[\"pass\",\"show\",\"idp\"]'"
                    .into(),
            ),
        }
    }
}

/// A command: a TOML array in the file, a JSON array in the env var.
pub struct Program;

impl Kind for Program {
    type Value = Argv;
    type File = Argv;
    type Layer = Option<Argv>;

    fn from_file(file: &Option<Argv>, _: &Path) -> Option<Argv> {
        file.clone()
    }
    fn from_env(var: &str, value: &str) -> Result<Option<Argv>> {
        value
            .parse()
            .map(Some)
            .map_err(|e| Error::Config(format!("env var {var}: {e}")))
    }
    fn merge(layers: [(Option<Argv>, Origin); 3]) -> (Option<Argv>, Option<Origin>) {
        first(layers)
    }
    fn show(layer: &Option<Argv>) -> Value {
        layer
            .clone()
            .map_or(Value::Null, |argv| Value::from(argv.0))
    }
    fn to_toml(layer: &Option<Argv>) -> Option<toml_edit::Item> {
        layer
            .as_ref()
            .map(|argv| toml_edit::value(argv.0.iter().collect::<toml_edit::Array>()))
    }
}

/// Relative paths in the config file are relative to the file, not to the working directory.
pub fn relative_to(path: &Path, config_path: &Path) -> PathBuf {
    match config_path.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

type Pairs = Vec<(String, String)>;

/// Name/value pairs merged per name, the higher layer's value winning; the origin is the highest
/// layer that has any.
fn merge_pairs(
    layers: [(Pairs, Origin); 3],
    same: fn(&str, &str) -> bool,
) -> (Pairs, Option<Origin>) {
    let mut out: Pairs = Vec::new();
    let mut origin = None;
    // Lowest precedence first, so later layers replace earlier entries with the same name.
    for (entries, from) in layers.into_iter().rev() {
        if !entries.is_empty() {
            origin = Some(from);
        }
        for (k, v) in entries {
            match out.iter_mut().find(|e| same(&e.0, &k)) {
                Some(existing) => *existing = (k, v),
                None => out.push((k, v)),
            }
        }
    }
    (out, origin)
}

fn pairs_from_file(file: &Option<BTreeMap<String, String>>) -> Pairs {
    file.clone().unwrap_or_default().into_iter().collect()
}

fn show_pairs(pairs: &Pairs, redact: impl Fn(&str, &str) -> String) -> Value {
    if pairs.is_empty() {
        return Value::Null;
    }
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(redact(k, v))))
            .collect(),
    )
}

fn pairs_to_toml(pairs: &Pairs) -> Option<toml_edit::Item> {
    (!pairs.is_empty()).then(|| {
        let mut table = toml_edit::InlineTable::new();
        for (k, v) in pairs {
            table.insert(k, v.as_str().into());
        }
        toml_edit::value(table)
    })
}

/// Extra form parameters: `k=v&k2=v2` in the env var; names compared exactly; the values of
/// secret fields masked when shown.
pub struct Params;

impl Kind for Params {
    type Value = Pairs;
    type File = BTreeMap<String, String>;
    type Layer = Pairs;

    fn from_file(file: &Option<BTreeMap<String, String>>, _: &Path) -> Pairs {
        pairs_from_file(file)
    }
    fn from_env(_: &str, value: &str) -> Result<Pairs> {
        Ok(form_urlencoded::parse(value.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect())
    }
    fn merge(layers: [(Pairs, Origin); 3]) -> (Pairs, Option<Origin>) {
        merge_pairs(layers, |a, b| a == b)
    }
    fn show(layer: &Pairs) -> Value {
        show_pairs(layer, |k, v| {
            if crate::oauth::SECRET_NAMES.contains(&k) {
                "***".to_string()
            } else {
                v.to_string()
            }
        })
    }
    fn to_toml(layer: &Pairs) -> Option<toml_edit::Item> {
        pairs_to_toml(layer)
    }
}

/// Extra request headers: one `Name: value` per line in the env var; names compared without case
/// (RFC 9110 §5.1); shown with the same redaction as the `-v` trace.
pub struct Headers;

impl Kind for Headers {
    type Value = Pairs;
    type File = BTreeMap<String, String>;
    type Layer = Pairs;

    fn from_file(file: &Option<BTreeMap<String, String>>, _: &Path) -> Pairs {
        pairs_from_file(file)
    }
    fn from_env(var: &str, value: &str) -> Result<Pairs> {
        value
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                parse_header(l)
                    .map_err(|e| Error::Config(format!("env var {var} line {}: {e}", n + 1)))
            })
            .collect()
    }
    fn merge(layers: [(Pairs, Origin); 3]) -> (Pairs, Option<Origin>) {
        merge_pairs(layers, |a, b| a.eq_ignore_ascii_case(b))
    }
    fn show(layer: &Pairs) -> Value {
        show_pairs(layer, crate::http::redact_header)
    }
    fn to_toml(layer: &Pairs) -> Option<toml_edit::Item> {
        pairs_to_toml(layer)
    }
}
