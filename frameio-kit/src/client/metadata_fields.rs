//! Metadata field definitions of an account: the custom fields files can carry.
//!
//! A definition's kind is its `field_type`, modelled by [`FieldConfig`] together with the
//! kind's `field_configuration`. Kinds this crate does not know are kept in
//! [`FieldConfig::Other`] with their raw configuration.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::metadata_fields::{
//!     CreateFieldDefinition, FieldConfig, SelectConfig, SelectOptionDef,
//! };
//!
//! let config = FieldConfig::Select(SelectConfig {
//!     options: Some(vec![SelectOptionDef::named("Approved"), SelectOptionDef::named("Rejected")]),
//!     ..Default::default()
//! });
//! let field = client
//!     .metadata_fields()
//!     .create("account-id", &CreateFieldDefinition::new("Review state", config))
//!     .await?;
//! println!("{} is a {} field", field.name, field.config.field_type());
//! # Ok(()) }
//! ```

use serde::de::Deserializer;
use serde::ser::{Error as _, SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::models::{User, open_enum};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

open_enum! {
    /// Kind of a metadata field.
    pub enum FieldType {
        /// Date (and time).
        Date => "date",
        /// Multi-line text.
        LongText => "long_text",
        /// Number.
        Number => "number",
        /// Rating.
        Rating => "rating",
        /// One option of a list.
        Select => "select",
        /// Several options of a list.
        SelectMulti => "select_multi",
        /// Single-line text.
        Text => "text",
        /// On/off.
        Toggle => "toggle",
        /// Several users or groups.
        UserMulti => "user_multi",
        /// One user or group.
        UserSingle => "user_single",
        /// Users (system fields such as assignees).
        Users => "users",
    }
}

open_enum! {
    /// How a date is displayed.
    pub enum DateDisplayFormat {
        /// The viewer's locale.
        Local => "local",
        /// Friendly (`Jan 5, 2026`).
        Friendly => "friendly",
        /// US (`01/05/2026`).
        Usa => "usa",
        /// European (`05/01/2026`).
        Euro => "euro",
        /// ISO 8601.
        Iso => "iso",
    }
}

open_enum! {
    /// Clock format of a date field with time.
    pub enum TimeFormat {
        /// 12 hours.
        TwelveHour => "twelve_hour",
        /// 24 hours.
        TwentyFourHour => "twenty_four_hour",
    }
}

open_enum! {
    /// Unit a number field is displayed in.
    pub enum NumberFormat {
        /// Bit rate.
        Bitrate => "bitrate",
        /// Bits.
        Bits => "bits",
        /// Duration.
        Duration => "duration",
        /// Frame rate.
        Framerate => "framerate",
        /// Frequency.
        Frequency => "frequency",
        /// Storage size.
        Storage => "storage",
        /// Timecode.
        Timecode => "timecode",
    }
}

open_enum! {
    /// Symbol of a rating field.
    pub enum RatingStyle {
        /// Stars.
        Star => "star",
        /// Hearts.
        Heart => "heart",
        /// Thumbs up.
        ThumbsUp => "thumbs_up",
    }
}

open_enum! {
    /// Which members a user field offers.
    pub enum MemberOptions {
        /// Every project member.
        AllProjectMembers => "all_project_members",
        /// The listed custom members.
        Custom => "custom",
    }
}

open_enum! {
    /// Kind of a member referenced by a user field.
    pub enum MemberType {
        /// A user.
        User => "user",
        /// A group of the account.
        AccountUserGroup => "account_user_group",
    }
}

/// A user or group referenced by a user field (definition or value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberRef {
    /// User or group id.
    pub id: String,
    /// Kind.
    #[serde(rename = "type")]
    pub member_type: MemberType,
}

impl MemberRef {
    /// A reference to a user.
    pub fn user(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            member_type: MemberType::User,
        }
    }

    /// A reference to a group.
    pub fn group(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            member_type: MemberType::AccountUserGroup,
        }
    }
}

/// Configuration of a date field. All fields are optional so the same type serves
/// responses, creation and updates (`display_format` is required on creation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DateConfig {
    /// Display format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_format: Option<DateDisplayFormat>,
    /// Show the time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_timezone: Option<bool>,
    /// Include the time of day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_time: Option<bool>,
    /// Clock format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_format: Option<TimeFormat>,
}

/// Configuration of a number field (`scale` is required on creation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NumberConfig {
    /// Display unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_format: Option<NumberFormat>,
    /// Decimal places.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<i64>,
}

/// Configuration of a rating field (`max_value` is required on creation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RatingConfig {
    /// Colour (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Highest rating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    /// Symbol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<RatingStyle>,
}

/// One option of a select field definition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelectOptionDef {
    /// Option id (responses only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Label.
    pub display_name: String,
    /// Colour (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

impl SelectOptionDef {
    /// An option labelled `display_name`.
    pub fn named(display_name: impl Into<String>) -> Self {
        Self {
            id: None,
            display_name: display_name.into(),
            color: None,
        }
    }
}

/// Configuration of a select or multi-select field (`options` is required on creation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelectConfig {
    /// Let users add options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_add_new: Option<bool>,
    /// Options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<SelectOptionDef>>,
}

/// Configuration of a toggle field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToggleConfig {
    /// Colour (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// Configuration of a user field (`member_options_type` and `notify_members` are required
/// on creation and update).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserFieldConfig {
    /// Members offered when `member_options_type` is `custom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_members: Option<Vec<MemberRef>>,
    /// Which members are offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_options_type: Option<MemberOptions>,
    /// Notify members when they are chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_members: Option<bool>,
}

/// The kind of a field definition and its configuration, sent and received as the
/// `field_type` and `field_configuration` members.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FieldConfig {
    /// `date`.
    Date(DateConfig),
    /// `long_text` (no configuration).
    LongText,
    /// `number`.
    Number(NumberConfig),
    /// `rating`.
    Rating(RatingConfig),
    /// `select`.
    Select(SelectConfig),
    /// `select_multi`.
    SelectMulti(SelectConfig),
    /// `text` (no configuration).
    Text,
    /// `toggle`.
    Toggle(ToggleConfig),
    /// `user_multi`.
    UserMulti(UserFieldConfig),
    /// `user_single`.
    UserSingle(UserFieldConfig),
    /// A kind this crate does not know, or a configuration it could not read; kept as
    /// received and sent back unchanged.
    Other {
        /// The `field_type` value.
        field_type: String,
        /// The raw `field_configuration`.
        field_configuration: Option<Value>,
    },
}

impl Default for FieldConfig {
    fn default() -> Self {
        Self::Other {
            field_type: String::new(),
            field_configuration: None,
        }
    }
}

#[derive(Deserialize)]
struct FieldParts {
    #[serde(default)]
    field_type: Option<String>,
    #[serde(default)]
    field_configuration: Option<Value>,
}

fn parse<T: serde::de::DeserializeOwned + Default>(cfg: &Option<Value>) -> Option<T> {
    match cfg {
        None | Some(Value::Null) => Some(T::default()),
        Some(v) => serde_json::from_value(v.clone()).ok(),
    }
}

impl FieldConfig {
    /// The `field_type` of this configuration.
    pub fn field_type(&self) -> FieldType {
        match self {
            Self::Date(_) => FieldType::Date,
            Self::LongText => FieldType::LongText,
            Self::Number(_) => FieldType::Number,
            Self::Rating(_) => FieldType::Rating,
            Self::Select(_) => FieldType::Select,
            Self::SelectMulti(_) => FieldType::SelectMulti,
            Self::Text => FieldType::Text,
            Self::Toggle(_) => FieldType::Toggle,
            Self::UserMulti(_) => FieldType::UserMulti,
            Self::UserSingle(_) => FieldType::UserSingle,
            Self::Other { field_type, .. } => FieldType::from(field_type.as_str()),
        }
    }

    fn from_parts(field_type: String, cfg: Option<Value>) -> Self {
        let known = match field_type.as_str() {
            "date" => parse(&cfg).map(Self::Date),
            "long_text" => Some(Self::LongText),
            "number" => parse(&cfg).map(Self::Number),
            "rating" => parse(&cfg).map(Self::Rating),
            "select" => parse(&cfg).map(Self::Select),
            "select_multi" => parse(&cfg).map(Self::SelectMulti),
            "text" => Some(Self::Text),
            "toggle" => parse(&cfg).map(Self::Toggle),
            "user_multi" => parse(&cfg).map(Self::UserMulti),
            "user_single" => parse(&cfg).map(Self::UserSingle),
            _ => None,
        };
        known.unwrap_or(Self::Other {
            field_type,
            field_configuration: cfg,
        })
    }

    fn configuration(&self) -> Result<Option<Value>, serde_json::Error> {
        Ok(match self {
            Self::LongText | Self::Text => None,
            Self::Date(c) => Some(serde_json::to_value(c)?),
            Self::Number(c) => Some(serde_json::to_value(c)?),
            Self::Rating(c) => Some(serde_json::to_value(c)?),
            Self::Select(c) | Self::SelectMulti(c) => Some(serde_json::to_value(c)?),
            Self::Toggle(c) => Some(serde_json::to_value(c)?),
            Self::UserMulti(c) | Self::UserSingle(c) => Some(serde_json::to_value(c)?),
            Self::Other {
                field_configuration,
                ..
            } => field_configuration.clone(),
        })
    }
}

impl Serialize for FieldConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cfg = self.configuration().map_err(S::Error::custom)?;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("field_type", self.field_type().as_str())?;
        if let Some(cfg) = cfg {
            map.serialize_entry("field_configuration", &cfg)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for FieldConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let parts = FieldParts::deserialize(d)?;
        Ok(Self::from_parts(
            parts.field_type.unwrap_or_default(),
            parts.field_configuration,
        ))
    }
}

/// A metadata field definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FieldDefinition {
    /// Definition id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind and configuration (`field_type`, `field_configuration`).
    #[serde(flatten)]
    pub config: FieldConfig,
    /// Whether values can be changed (system fields cannot).
    pub mutable: Option<bool>,
    /// Creator id.
    pub creator_id: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Body of field definition creation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateFieldDefinition {
    /// Name.
    pub name: String,
    /// Kind and configuration.
    #[serde(flatten)]
    pub config: FieldConfig,
}

impl CreateFieldDefinition {
    /// A field named `name` of the kind given by `config`.
    pub fn new(name: impl Into<String>, config: FieldConfig) -> Self {
        Self {
            name: name.into(),
            config,
        }
    }
}

/// Body of field definition update. The kind (`field_type`) is always sent and must match
/// the definition's; configuration fields left `None` are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateFieldDefinition {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Kind and configuration changes.
    #[serde(flatten)]
    pub config: FieldConfig,
}

impl UpdateFieldDefinition {
    /// Change the configuration (and keep the name).
    pub fn config(config: FieldConfig) -> Self {
        Self { name: None, config }
    }
}

super::api_group! {
    /// Metadata field definition endpoints; see [`Client::metadata_fields`](super::Client::metadata_fields).
    MetadataFields
}

pub(crate) fn all(account_id: &str) -> String {
    format!(
        "/v4/accounts/{}/metadata/field_definitions",
        seg(account_id)
    )
}

pub(crate) fn one(account_id: &str, field_definition_id: &str) -> String {
    format!("{}/{}", all(account_id), seg(field_definition_id))
}

impl MetadataFields {
    /// `GET /v4/accounts/{account_id}/metadata/field_definitions`.
    pub fn list(&self, account_id: &str) -> Pager<FieldDefinition> {
        self.client.list(all(account_id))
    }

    /// `POST /v4/accounts/{account_id}/metadata/field_definitions`.
    pub fn create(
        &self,
        account_id: &str,
        params: &CreateFieldDefinition,
    ) -> ApiRequest<FieldDefinition> {
        self.client.post(all(account_id), params)
    }

    /// `PATCH /v4/accounts/{account_id}/metadata/field_definitions/{field_definition_id}`.
    pub fn update(
        &self,
        account_id: &str,
        field_definition_id: &str,
        params: &UpdateFieldDefinition,
    ) -> ApiRequest<FieldDefinition> {
        self.client
            .patch(one(account_id, field_definition_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/metadata/field_definitions/{field_definition_id}`.
    pub fn delete(&self, account_id: &str, field_definition_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, field_definition_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_field_types_round_trip() {
        let d: FieldDefinition = serde_json::from_value(serde_json::json!({
            "id": "f1", "name": "Score", "field_type": "rating",
            "field_configuration": {"max_value": 5, "style": "star"}, "mutable": true
        }))
        .expect("parse");
        assert_eq!(
            d.config,
            FieldConfig::Rating(RatingConfig {
                max_value: Some(5),
                style: Some(RatingStyle::Star),
                color: None
            })
        );
        let unknown = serde_json::json!({
            "id": "f2", "name": "Geo", "field_type": "geo_point",
            "field_configuration": {"precision": 3}
        });
        let d: FieldDefinition = serde_json::from_value(unknown).expect("parse");
        assert_eq!(d.config.field_type(), FieldType::Other("geo_point".into()));
        let back = serde_json::to_value(&d).expect("ser");
        assert_eq!(back["field_type"], "geo_point");
        assert_eq!(back["field_configuration"]["precision"], 3);
        let text = serde_json::to_value(CreateFieldDefinition::new("Notes", FieldConfig::Text))
            .expect("ser");
        assert_eq!(
            text,
            serde_json::json!({"name": "Notes", "field_type": "text"})
        );
    }
}
