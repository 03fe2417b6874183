//! A Pub/Sub topic's Protocol Buffer schema as the catalog fields the deployed
//! pipeline can read. Sluice deploys `ReadFromPubSub` with format JSON, so a topic
//! whose schema settings say JSON encoding carries each message in protobuf's
//! JSON mapping, as Google's protobuf libraries write it (`json_format`'s
//! `MessageToJson`): fields by their JSON name (lowerCamelCase, or the
//! `json_name` option), 32-bit integers, floats and doubles as numbers, 64-bit
//! integers as decimal strings, `bool`, `string`, `bytes` as base64 text, enums by
//! name, messages as objects, repeated fields as lists, maps as objects, and a
//! field at its default value (0, "", false, an empty list) left out.
//!
//! The JSON reading takes a column's JSON type from the catalog, refuses any other
//! and ignores fields it is not given (`sluice_engine::input::row_from_message`,
//! held to Beam's parser by `tests/messages.rs`), so each field becomes the column
//! that reads what the mapping writes: a 64-bit integer a STRING (to `CAST`), bytes
//! a STRING of base64; a map, a group or a well-known type (`google.protobuf.*`,
//! which Sluice cannot see) is left out, with a note. `tests/proto.rs` compiles
//! schemas with protoc, writes messages with protobuf's own `json_format` and
//! reads them with Beam's parser and these fields.
//!
//! A binary-encoded topic carries protobuf's wire format, which the JSON reading
//! refuses: it gets no fields, only the note.

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FieldDescriptorProto};
use sluice_sql::schema::check_column_name;
use sluice_sql::types::{DataType, Field, Mode};

use crate::avro::ReadFields;

/// A field's JSON name, as protobuf makes it from the field's name
/// (`ToJsonName` in protobuf's `descriptor.cc`: each `_` dropped and the letter
/// after it capitalized); the `json_name` option wins.
pub fn json_name(field: &FieldDescriptorProto) -> String {
    if let Some(name) = field.json_name.as_deref().filter(|n| !n.is_empty()) {
        return name.to_string();
    }
    let mut out = String::new();
    let mut upper = false;
    for c in field.name().chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The messages and enums a `.proto` file defines, by their names as the file
/// can write them.
struct Types<'a> {
    messages: Vec<(String, &'a DescriptorProto)>,
    enums: Vec<String>,
}

impl<'a> Types<'a> {
    fn collect(
        scope: &str,
        messages: &'a [DescriptorProto],
        enums: &'a [EnumDescriptorProto],
        out: &mut Self,
    ) {
        for e in enums {
            out.enums.push(join(scope, e.name()));
        }
        for m in messages {
            let name = join(scope, m.name());
            out.messages.push((name.clone(), m));
            Self::collect(&name, &m.nested_type, &m.enum_type, out);
        }
    }

    /// `written` (`Inner`, `Outer.Inner`, `pkg.Outer.Inner`, `.pkg.Outer.Inner`)
    /// seen from `scope`, resolved as protobuf does: from the innermost enclosing
    /// scope out, then from the package.
    fn resolve(&self, package: &str, scope: &str, written: &str) -> Option<Resolved<'a>> {
        let find = |local: &str| -> Option<Resolved<'a>> {
            if let Some((name, m)) = self.messages.iter().find(|(n, _)| n == local) {
                return Some(Resolved::Message(name.clone(), m));
            }
            self.enums
                .iter()
                .any(|n| n == local)
                .then_some(Resolved::Enum)
        };
        let in_package = |name: &str| -> Option<String> {
            if package.is_empty() {
                Some(name.to_string())
            } else {
                name.strip_prefix(package)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .map(str::to_owned)
            }
        };
        if let Some(absolute) = written.strip_prefix('.') {
            return in_package(absolute).and_then(|local| find(&local));
        }
        let mut scope = scope.to_string();
        loop {
            if let Some(found) = find(&join(&scope, written)) {
                return Some(found);
            }
            if scope.is_empty() {
                break;
            }
            scope = scope
                .rsplit_once('.')
                .map_or(String::new(), |(outer, _)| outer.to_string());
        }
        in_package(written).and_then(|local| find(&local))
    }
}

/// What a type name names: a message (with its full name within the file, the
/// scope of its own fields' type names) or an enum.
enum Resolved<'a> {
    Message(String, &'a DescriptorProto),
    Enum,
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// The columns the deployed JSON reading takes from a topic whose messages are
/// `definition` (a `.proto` file's text; its first message is the topic's) in
/// `encoding` (`JSON` or `BINARY`).
pub fn proto_fields(definition: &str, encoding: &str) -> Result<ReadFields, String> {
    let file = protox_parse::parse("schema.proto", definition)
        .map_err(|e| format!("the Protocol Buffer schema does not parse: {e}"))?;
    let Some(top) = file.message_type.first() else {
        return Err("the Protocol Buffer schema defines no message".into());
    };
    let mut out = ReadFields::default();
    if file.message_type.len() > 1 {
        out.notes.push(format!(
            "the schema defines {} messages; the first, {}, is the topic's",
            file.message_type.len(),
            top.name()
        ));
    }
    if encoding != "JSON" {
        out.notes.push(format!(
            "its messages are {encoding}-encoded Protocol Buffers; Sluice deploys JSON reading, which would refuse every one, so its fields are left for you to give once the topic carries JSON"
        ));
        return Ok(out);
    }
    let mut types = Types {
        messages: Vec::new(),
        enums: Vec::new(),
    };
    let package = file.package().to_string();
    Types::collect("", &file.message_type, &file.enum_type, &mut types);
    let mut notes = Vec::new();
    out.fields = message_fields(top, top.name(), "", &package, &types, 0, &mut notes);
    out.notes.extend(notes);
    out.notes.push(
        "protobuf's JSON mapping leaves out a field at its default value (0, \"\", false): such a field reads as NULL"
            .into(),
    );
    out.leave_out_event_timestamp();
    Ok(out)
}

/// Records nest at most this deep (BigQuery's limit is 15 levels).
const MAX_DEPTH: usize = 15;

fn message_fields(
    message: &DescriptorProto,
    scope: &str,
    path: &str,
    package: &str,
    types: &Types<'_>,
    depth: usize,
    notes: &mut Vec<String>,
) -> Vec<Field> {
    let mut out = Vec::new();
    for f in &message.field {
        let name = json_name(f);
        let here = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        if let Err(why) = check_column_name(&name) {
            notes.push(format!("field {here}: left out, {why}"));
            continue;
        }
        match column(f, scope, &here, package, types, depth, notes) {
            Ok(t) => {
                let repeated = f.label() == Label::Repeated;
                let field = if repeated {
                    Field::new(name, DataType::Array(Box::new(t))).with_mode(Mode::Repeated)
                } else {
                    Field::new(name, t)
                };
                out.push(field);
            }
            Err(why) => notes.push(format!("field {here}: left out, {why}")),
        }
    }
    out
}

fn column(
    f: &FieldDescriptorProto,
    scope: &str,
    path: &str,
    package: &str,
    types: &Types<'_>,
    depth: usize,
    notes: &mut Vec<String>,
) -> Result<DataType, String> {
    // A named type parsed without its file's other types has no `type` yet.
    match f.r#type.map(|_| f.r#type()) {
        Some(Type::Double | Type::Float) => Ok(DataType::Float64),
        Some(Type::Int32 | Type::Sint32 | Type::Sfixed32 | Type::Uint32 | Type::Fixed32) => {
            Ok(DataType::Int64)
        }
        Some(Type::Int64 | Type::Sint64 | Type::Sfixed64 | Type::Uint64 | Type::Fixed64) => {
            notes.push(format!(
                "field {path}: a 64-bit integer, which protobuf's JSON mapping writes as a string: read as a STRING (CAST it to INT64)"
            ));
            Ok(DataType::String)
        }
        Some(Type::Bool) => Ok(DataType::Bool),
        Some(Type::String) => Ok(DataType::String),
        Some(Type::Bytes) => {
            notes.push(format!(
                "field {path}: bytes, which protobuf's JSON mapping writes as base64: read as a STRING"
            ));
            Ok(DataType::String)
        }
        Some(Type::Enum) => Ok(DataType::String),
        Some(Type::Group) => {
            Err("it is a group, which protobuf's JSON mapping writes in no way Sluice reads".into())
        }
        Some(Type::Message) | None => {
            let written = f.type_name();
            if written
                .trim_start_matches('.')
                .starts_with("google.protobuf.")
            {
                return Err(format!(
                    "its type {written} is a well-known type, which the schema cannot define for Sluice to read"
                ));
            }
            match types.resolve(package, scope, written) {
                Some(Resolved::Enum) => Ok(DataType::String),
                Some(Resolved::Message(inner_scope, m)) => {
                    if m.options.as_ref().is_some_and(|o| o.map_entry()) {
                        return Err("it is a map, which BigQuery has no type for".into());
                    }
                    if depth + 1 >= MAX_DEPTH {
                        return Err(format!("it nests records deeper than {MAX_DEPTH} levels"));
                    }
                    let fields =
                        message_fields(m, &inner_scope, path, package, types, depth + 1, notes);
                    if fields.is_empty() {
                        return Err("none of its message's fields can be read".into());
                    }
                    Ok(DataType::Struct(fields))
                }
                None => Err(format!("its type {written} is not defined in the schema")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_fields_become_the_columns_the_json_reading_takes() {
        let read = proto_fields(
            r#"
            syntax = "proto3";
            package shop;
            enum Status { OPEN = 0; CLOSED = 1; }
            message Order {
              message Address { string city = 1; map<string, string> tags = 2; }
              int64 customer_id = 1;
              double amount = 2;
              Status order_status = 3;
              int32 quantity = 4;
              repeated string gift_notes = 5;
              Address shipping_address = 6;
              bytes signature = 7;
              map<string, int32> counts = 8;
              string label = 9 [json_name = "tag"];
              .shop.Order.Address billing = 10;
            }
            "#,
            "JSON",
        )
        .expect("reads");
        let columns: Vec<String> = read
            .fields
            .iter()
            .map(|f| format!("{} {}", f.name, f.data_type))
            .collect();
        assert_eq!(
            columns,
            [
                "customerId STRING",
                "amount FLOAT64",
                "orderStatus STRING",
                "quantity INT64",
                "giftNotes ARRAY<STRING>",
                "shippingAddress STRUCT<city STRING>",
                "signature STRING",
                "tag STRING",
                "billing STRUCT<city STRING>",
            ]
        );
        let notes = read.notes.join("\n");
        for said in [
            "field customerId: a 64-bit integer",
            "field shippingAddress.tags: left out, it is a map",
            "field counts: left out, it is a map",
            "field signature: bytes",
            "leaves out a field at its default value",
        ] {
            assert!(notes.contains(said), "{said} in\n{notes}");
        }
    }

    #[test]
    fn binary_topics_imports_and_broken_schemas_say_why() {
        let schema = "syntax = \"proto3\"; message M { int32 a = 1; }";
        let binary = proto_fields(schema, "BINARY").expect("reads");
        assert!(binary.fields.is_empty());
        assert!(
            binary.notes[0].contains("BINARY-encoded"),
            "{:?}",
            binary.notes
        );
        let wkt = proto_fields(
            "syntax = \"proto3\"; import \"google/protobuf/timestamp.proto\"; message M { google.protobuf.Timestamp at = 1; int32 n = 2; }",
            "JSON",
        )
        .expect("reads");
        assert_eq!(wkt.fields.len(), 1);
        assert!(wkt.notes[0].contains("well-known type"), "{:?}", wkt.notes);
        let looped = proto_fields(
            "syntax = \"proto3\"; message Node { int32 v = 1; Node next = 2; }",
            "JSON",
        )
        .expect("reads");
        assert_eq!(looped.fields[0].name, "v");
        assert!(
            looped
                .notes
                .iter()
                .any(|n| n.contains("deeper than 15 levels")),
            "{:?}",
            looped.notes
        );
        assert!(proto_fields("message {", "JSON").is_err());
        assert!(proto_fields("syntax = \"proto3\";", "JSON").is_err());
    }
}
