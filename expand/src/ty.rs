//! What a field's type is, read from its syntax: a macro cannot look at other types,
//! so structs are recognized by name and asked for their own shape.

use syn::{GenericArgument, PathArguments, Type};

/// The kinds of field types the derive understands.
#[derive(Clone)]
pub enum TypeKind {
    /// A scalar.
    Scalar(Scalar),
    /// Another `Bridge` type: a nested object.
    Struct(Box<Type>),
    /// `Vec<T>`.
    Vec(Box<TypeKind>),
    /// `Option<T>`.
    Option(Box<TypeKind>),
    /// `BTreeMap<String, T>` or `HashMap<String, T>`: a map whose keys are data.
    Map(Box<TypeKind>),
}

/// Scalar types.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `String`.
    Text,
    /// Integers that fit 32 bits.
    Int32,
    /// `i64`, `u32`.
    Int64,
    /// `f32`, `f64`.
    Number,
    /// `bool`.
    Boolean,
    /// `serde_json::Value`.
    Json,
}

/// Classifies `ty`; `Err` says what is not supported and what to use instead.
pub fn classify(ty: &Type) -> Result<TypeKind, String> {
    let path = match ty {
        Type::Path(path) => path,
        Type::Group(group) => return classify(&group.elem),
        Type::Paren(paren) => return classify(&paren.elem),
        Type::Reference(_) => {
            return Err("a reference is not supported; use an owned type such as String".into())
        }
        Type::Tuple(_) => {
            return Err("a tuple is not supported; use a struct that derives Bridge".into())
        }
        Type::Array(_) | Type::Slice(_) => {
            return Err("an array or slice is not supported; use Vec<T>".into())
        }
        _ => return Err("only named types are supported".into()),
    };
    if path.qself.is_some() {
        return Err("a qualified-self type is not supported; name the type itself".into());
    }
    let Some(last) = path.path.segments.last() else {
        return Err("an empty type path".into());
    };
    let name = last.ident.to_string();
    let inner = || -> Result<&Type, String> {
        match &last.arguments {
            PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
                GenericArgument::Type(t) => Ok(t),
                _ => Err(format!("`{name}` needs a type argument")),
            },
            _ => Err(format!("`{name}` needs one type argument")),
        }
    };
    let scalar = |s| Ok(TypeKind::Scalar(s));
    match name.as_str() {
        "Option" => Ok(TypeKind::Option(Box::new(classify(inner()?)?))),
        "Vec" => Ok(TypeKind::Vec(Box::new(classify(inner()?)?))),
        "String" => scalar(Scalar::Text),
        "i8" | "i16" | "i32" | "u8" | "u16" => scalar(Scalar::Int32),
        "i64" | "u32" => scalar(Scalar::Int64),
        "f32" | "f64" => scalar(Scalar::Number),
        "bool" => scalar(Scalar::Boolean),
        "Value" => scalar(Scalar::Json),
        "u64" | "usize" | "isize" | "i128" | "u128" => Err(format!(
            "`{name}` does not fit SQLite's 64-bit signed integers; use i64"
        )),
        "str" | "char" => Err(format!("`{name}` is not supported; use String")),
        "Box" | "Rc" | "Arc" | "Cow" => Err(format!(
            "`{name}` is not supported; hold the value itself (String, or a struct that derives Bridge)"
        )),
        "HashMap" | "BTreeMap" => map_value(&name, &last.arguments).map(|v| TypeKind::Map(Box::new(v))),
        "IndexMap" | "Map" | "HashSet" | "BTreeSet" => Err(format!(
            "`{name}` is not supported; use BTreeMap<String, T> (a map: one row per entry), serde_json::Value (kept as JSON text) or a struct that derives Bridge"
        )),
        _ if matches!(last.arguments, PathArguments::None) => {
            Ok(TypeKind::Struct(Box::new(ty.clone())))
        }
        _ => Err(format!(
            "generic type `{name}<..>` is not supported; use a struct that derives Bridge"
        )),
    }
}

/// The value type of `BTreeMap<String, V>`: the keys must be strings, as JSON's are.
fn map_value(name: &str, arguments: &PathArguments) -> Result<TypeKind, String> {
    let PathArguments::AngleBracketed(args) = arguments else {
        return Err(format!("`{name}` needs a key and a value type"));
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(key), GenericArgument::Type(value)] => {
            if !matches!(classify(key), Ok(TypeKind::Scalar(Scalar::Text))) {
                return Err(format!(
                    "the keys of `{name}` must be String, as JSON object keys are"
                ));
            }
            classify(value)
        }
        _ => Err(format!("`{name}` needs a key and a value type")),
    }
}

impl TypeKind {
    /// The kind without `Option`, and whether there was one.
    pub fn unwrap_option(&self) -> (&TypeKind, bool) {
        match self {
            TypeKind::Option(inner) => (inner, true),
            other => (other, false),
        }
    }

    /// Whether this is text (possibly optional).
    pub fn is_text(&self) -> bool {
        matches!(self.unwrap_option().0, TypeKind::Scalar(Scalar::Text))
    }

    /// Whether the items (or the value) are text, for hints on `Vec<String>`.
    pub fn holds_text(&self) -> bool {
        match self.unwrap_option().0 {
            TypeKind::Vec(items) => items.is_text(),
            other => matches!(other, TypeKind::Scalar(Scalar::Text)),
        }
    }

    /// Whether the value becomes one column (a scalar, optional or not).
    pub fn is_column(&self) -> bool {
        matches!(self.unwrap_option().0, TypeKind::Scalar(_))
    }
}
