//! Experimental API: session watermark templates.

use serde::{Deserialize, Serialize};

use super::account;
use crate::client::models::{User, open_enum};
use crate::client::pager::Pager;
use crate::client::request::{ApiRequest, seg};

crate::client::api_group! {
    /// Session watermark templates.
    SessionWatermarkTemplates
}

open_enum! {
    /// Relative font size of a watermark block.
    pub enum FontSize {
        /// Small.
        Small => "small",
        /// Medium.
        Medium => "medium",
        /// Large.
        Large => "large",
        /// Huge.
        Huge => "huge",
    }
}

open_enum! {
    /// A slot of the 3×3 placement grid.
    pub enum GridPosition {
        /// Top left.
        TopLeft => "top_left",
        /// Top centre.
        TopCenter => "top_center",
        /// Top right.
        TopRight => "top_right",
        /// Middle left.
        MiddleLeft => "middle_left",
        /// Centre.
        MiddleCenter => "middle_center",
        /// Middle right.
        MiddleRight => "middle_right",
        /// Bottom left.
        BottomLeft => "bottom_left",
        /// Bottom centre.
        BottomCenter => "bottom_center",
        /// Bottom right.
        BottomRight => "bottom_right",
    }
}

open_enum! {
    /// Scrolling animation of a watermark block.
    pub enum ScrollText {
        /// Static.
        None => "none",
        /// Right to left.
        Rtl => "rtl",
        /// Left to right.
        Ltr => "ltr",
    }
}

open_enum! {
    /// Horizontal text alignment.
    pub enum TextAlignment {
        /// Left.
        Left => "left",
        /// Centre.
        Center => "center",
        /// Right.
        Right => "right",
    }
}

open_enum! {
    /// What a watermark line shows, resolved per viewer at play time.
    pub enum DataPointType {
        /// Viewer's email.
        Email => "email",
        /// Viewer's name.
        Username => "username",
        /// Viewer's IP address.
        IpAddress => "ip_address",
        /// Current time.
        Timestamp => "timestamp",
        /// Fixed text ([`DataPoint::value`]).
        CustomText => "custom_text",
        /// Text the viewer enters.
        UserInput => "user_input",
    }
}

/// One line of a watermark block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DataPoint {
    /// What the line shows.
    #[serde(rename = "type")]
    pub point_type: DataPointType,
    /// Fixed text (only with [`DataPointType::CustomText`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Order within the block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
}

impl DataPoint {
    /// A line showing `point_type`.
    pub fn new(point_type: DataPointType) -> Self {
        Self {
            point_type,
            value: None,
            order: None,
        }
    }

    /// A line of fixed text.
    pub fn text(value: impl Into<String>) -> Self {
        Self {
            point_type: DataPointType::CustomText,
            value: Some(value.into()),
            order: None,
        }
    }
}

/// One positioned chunk of text drawn on the video.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WatermarkBlock {
    /// The lines, in order.
    pub data_points: Vec<DataPoint>,
    /// Label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Opacity, above 0 up to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Font size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub font_size: Option<FontSize>,
    /// Grid slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<GridPosition>,
    /// Anchor of the free-form coordinates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_reference_point: Option<GridPosition>,
    /// Free-form X (0 to 1); overrides `position`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_x: Option<f64>,
    /// Free-form Y (0 to 1); overrides `position`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position_y: Option<f64>,
    /// Rotation in degrees (-45 to 45).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<f64>,
    /// Scrolling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scroll_text: Option<ScrollText>,
    /// Alignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_alignment: Option<TextAlignment>,
    /// Text colour (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    /// Draw a drop shadow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_shadow: Option<bool>,
}

impl WatermarkBlock {
    /// A block showing `data_points` with default formatting.
    pub fn lines(data_points: Vec<DataPoint>) -> Self {
        Self {
            data_points,
            ..Self::default()
        }
    }
}

/// A session watermark template: a per-viewer overlay painted onto streamed media.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WatermarkTemplate {
    /// Template id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Blocks.
    pub watermark_blocks: Vec<WatermarkBlock>,
    /// Creator id.
    pub creator_id: Option<String>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Deletion time.
    pub deleted_at: Option<String>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// Body of template creation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateWatermarkTemplate {
    /// Name.
    pub name: String,
    /// Blocks.
    pub watermark_blocks: Vec<WatermarkBlock>,
}

impl CreateWatermarkTemplate {
    /// A template named `name` drawing `blocks`.
    pub fn new(name: impl Into<String>, blocks: Vec<WatermarkBlock>) -> Self {
        Self {
            name: name.into(),
            watermark_blocks: blocks,
        }
    }
}

/// Body of template update; `None` fields are unchanged, blocks are replaced wholesale.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateWatermarkTemplate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark_blocks: Option<Vec<WatermarkBlock>>,
}

fn templates(account_id: &str) -> String {
    format!("{}/session_watermark_templates", account(account_id))
}

impl SessionWatermarkTemplates {
    /// `GET /v4/accounts/{account_id}/session_watermark_templates` (experimental).
    pub fn list(&self, account_id: &str) -> Pager<WatermarkTemplate> {
        self.client.list(templates(account_id))
    }

    /// `POST /v4/accounts/{account_id}/session_watermark_templates` (experimental).
    pub fn create(
        &self,
        account_id: &str,
        params: &CreateWatermarkTemplate,
    ) -> ApiRequest<WatermarkTemplate> {
        self.client.post(templates(account_id), params)
    }

    /// `GET /v4/accounts/{account_id}/session_watermark_templates/{template_id}`
    /// (experimental).
    pub fn show(&self, account_id: &str, template_id: &str) -> ApiRequest<WatermarkTemplate> {
        self.client
            .get(format!("{}/{}", templates(account_id), seg(template_id)))
    }

    /// `PATCH /v4/accounts/{account_id}/session_watermark_templates/{template_id}`
    /// (experimental).
    pub fn update(
        &self,
        account_id: &str,
        template_id: &str,
        params: &UpdateWatermarkTemplate,
    ) -> ApiRequest<WatermarkTemplate> {
        self.client.patch(
            format!("{}/{}", templates(account_id), seg(template_id)),
            params,
        )
    }
}
