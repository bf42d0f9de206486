//! Forms: the posted fields, and the view of one field with its label, hint,
//! error and the value the user typed (never lost on an error).

use axum::extract::{FromRequest, Request};
use embargo_app::AppError;
use embargo_core::text::TextError;

use super::PageError;
use super::render::capitalised;

/// A posted `application/x-www-form-urlencoded` form.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or empty.
    pub(crate) fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// The first value of `name`, trimmed, if not empty.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Whether the form has a field `name` (even empty).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// A comma- or line-separated list in field `name`, items trimmed, empty ones dropped.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        split_list(&self.get(name))
    }

    /// Every name and value, in order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The parameters of a query string (`a=1&b=2`), read like a form.
    pub(crate) fn from_query(query: Option<&str>) -> Self {
        FormData(form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    /// Every value of `name` (checkboxes).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// Adds a value (for multipart forms read field by field).
    pub(crate) fn push(&mut self, name: String, value: String) {
        self.0.push((name, value));
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| PageError::from(AppError::invalid("form", "a form no larger than the server accepts")))?;
        Ok(FormData(form_urlencoded::parse(&bytes).into_owned().collect()))
    }
}

/// Questions templates ask of a form's fields.
pub(crate) trait FieldsExt {
    /// Whether any field has an error.
    fn any_error(&self) -> bool;
}

impl FieldsExt for [Field] {
    fn any_error(&self) -> bool {
        self.iter().any(Field::has_error)
    }
}

/// A comma- or line-separated list, items trimmed, empty ones dropped.
pub(crate) fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// How a field is entered.
#[derive(Debug, Clone)]
pub(crate) enum FieldKind {
    /// One line.
    Text,
    /// An address.
    Email,
    /// A password.
    Password,
    /// A date.
    Date,
    /// Several lines; `code` keeps it monospace.
    TextArea { rows: u32, code: bool },
    /// One of several: (value, label).
    Select(Vec<(String, String)>),
    /// Any of several: (value, label, checked).
    Checkboxes(Vec<(String, String, bool)>),
    /// Files (multipart forms).
    Files,
}

/// One field of a form as shown.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// Its name in the form.
    pub(crate) name: &'static str,
    /// Its id on the page (the name, unless several forms on a page share names).
    pub(crate) id: String,
    /// Its label.
    pub(crate) label: String,
    /// What good input looks like.
    pub(crate) hint: String,
    /// What the user typed.
    pub(crate) value: String,
    /// What is wrong, if anything.
    pub(crate) error: Option<String>,
    /// How it is entered.
    pub(crate) kind: FieldKind,
    /// Whether it must be filled in.
    pub(crate) required: bool,
    /// Whether the policy asks for it without requiring it.
    pub(crate) recommended: bool,
    /// The autocomplete token.
    pub(crate) autocomplete: &'static str,
}

impl Field {
    /// A field.
    pub(crate) fn new(name: &'static str, label: impl Into<String>, kind: FieldKind) -> Self {
        Field {
            name,
            id: name.to_owned(),
            label: label.into(),
            hint: String::new(),
            value: String::new(),
            error: None,
            kind,
            required: false,
            recommended: false,
            autocomplete: "off",
        }
    }

    /// A field of one of several forms on a page: its id is `FORM-NAME`.
    pub(crate) fn of_form(form: &str, name: &'static str, label: &str, kind: FieldKind) -> Self {
        Field::new(name, label, kind).in_form(form)
    }

    /// With its id made unique on a page of several forms: `PREFIX-NAME`.
    pub(crate) fn in_form(mut self, prefix: &str) -> Self {
        self.id = format!("{prefix}-{}", self.name);
        self
    }

    /// With a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// With a value.
    pub(crate) fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    /// Required.
    pub(crate) fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Asked for by the policy, not required.
    pub(crate) fn recommended(mut self) -> Self {
        self.recommended = true;
        self
    }

    /// With an autocomplete token.
    pub(crate) fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = token;
        self
    }

    /// Whether the field has an error.
    pub(crate) fn has_error(&self) -> bool {
        self.error.is_some()
    }

    /// The error text (empty if none), for templates.
    pub(crate) fn error_text(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }
}

/// An error message for people: about the field by its label, saying how to fix it.
fn message(label: &str, error: &TextError) -> String {
    match error {
        TextError::Empty { .. } => format!("Enter {}", lower_first(label)),
        TextError::TooLong { max, unit, .. } => format!("{label} must be {max} {unit} or fewer"),
        TextError::NotPlainText { .. } => format!("{label} must be plain text, without control characters"),
        TextError::MultiLine { .. } => format!("{label} must be a single line"),
        TextError::Refused { reason, .. } => capitalised(reason),
        TextError::Malformed { expected, .. } => format!("{label}: enter {expected}"),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// Puts an app error's field messages on the fields; answers the messages
/// that belong to no field (for the error summary).
pub(crate) fn apply_errors(fields: &mut [Field], error: &AppError) -> Vec<String> {
    let mut general = Vec::new();
    match error {
        AppError::Invalid(errors) => {
            for e in &errors.0 {
                match fields.iter_mut().find(|f| f.name == e.field()) {
                    Some(field) => {
                        let text = message(&field.label, e);
                        field.error = Some(match field.error.take() {
                            Some(before) => format!("{before}. {text}"),
                            None => text,
                        });
                    }
                    None => general.push(capitalised(&e.to_string())),
                }
            }
        }
        other => general.push(capitalised(&other.to_string())),
    }
    general
}
