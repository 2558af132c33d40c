//! Shares (review links): creation and settings, the assets they contain, reviewers and
//! activity.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::shares::{AddReviewers, CreateShare, Reviewers, ShareAccess};
//!
//! let mut params = CreateShare::new("Client review", ShareAccess::Public);
//! params.asset_ids = Some(vec!["file-id".into()]);
//! let share = client.shares().create("account-id", "project-id", &params).await?;
//! let reviewers = Reviewers { emails: Some(vec!["jo@example.com".into()]), ..Default::default() };
//! client
//!     .shares()
//!     .add_reviewers("account-id", &share.id, &AddReviewers::new("Please review", reviewers))
//!     .await?;
//! let activity = client.shares().activities("account-id", &share.id).include("user").collect_all().await?;
//! # let _ = activity; Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{Asset, Patch, User, open_enum};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

open_enum! {
    /// Who can open a share.
    pub enum ShareAccess {
        /// Anyone with the link.
        Public => "public",
        /// Only invited reviewers.
        Secure => "secure",
    }
}

open_enum! {
    /// Colour theme of a share.
    pub enum ShareTheme {
        /// Dark.
        Dark => "dark",
        /// Light.
        Light => "light",
        /// Neutral.
        Neutral => "neutral",
    }
}

open_enum! {
    /// Layout of a share.
    pub enum ShareLayout {
        /// Grid of cards.
        Grid => "grid",
        /// List of rows.
        List => "list",
        /// Reel.
        Reel => "reel",
    }
}

open_enum! {
    /// Aspect ratio of cards.
    pub enum CardAspectRatio {
        /// Landscape.
        Horizontal => "horizontal",
        /// Square.
        Square => "square",
        /// Portrait.
        Vertical => "vertical",
    }
}

open_enum! {
    /// Relative size of cards or rows.
    pub enum ShareItemSize {
        /// Small.
        Small => "small",
        /// Medium.
        Medium => "medium",
        /// Large.
        Large => "large",
    }
}

open_enum! {
    /// How thumbnails fill their card.
    pub enum ThumbnailScale {
        /// Letterboxed inside the card.
        Fit => "fit",
        /// Fills the card (may crop).
        Fill => "fill",
    }
}

open_enum! {
    /// Sort direction.
    pub enum SortDirection {
        /// Ascending.
        Asc => "asc",
        /// Descending.
        Desc => "desc",
    }
}

open_enum! {
    /// Kind of a share activity entry.
    pub enum ShareActivityType {
        /// The share was opened.
        ShareViewed => "share_viewed",
        /// An asset was viewed.
        AssetViewed => "asset_viewed",
        /// An asset was downloaded.
        AssetDownloaded => "asset_downloaded",
        /// A comment was written.
        CommentCreated => "comment_created",
    }
}

/// Metadata field and direction the assets of a share are sorted by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShareSortBy {
    /// Direction.
    pub direction: SortDirection,
    /// Field definition id.
    pub field_definition_id: String,
}

/// A share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Share {
    /// Share id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Who can open it.
    pub access: Option<ShareAccess>,
    /// Whether the link is active.
    pub enabled: Option<bool>,
    /// Id of the collection holding the shared assets.
    pub collection_id: Option<String>,
    /// Short URL of the share.
    pub short_url: Option<String>,
    /// Passphrase, when one is required.
    pub passphrase: Option<String>,
    /// Expiration time.
    pub expiration: Option<String>,
    /// Whether commenting is enabled.
    pub commenting_enabled: Option<bool>,
    /// Whether downloading is enabled.
    pub downloading_enabled: Option<bool>,
    /// Whether watermarking is enabled.
    pub watermark_enabled: Option<bool>,
    /// Whether forensic watermarking is enabled.
    pub forensic_watermark_enabled: Option<bool>,
    /// Whether DRM is enabled.
    pub drm_enabled: Option<bool>,
    /// Whether captions are visible.
    pub captions_enabled: Option<bool>,
    /// Whether transcripts are visible.
    pub transcripts_enabled: Option<bool>,
    /// Whether every version of a shared version stack is visible.
    pub show_all_asset_versions: Option<bool>,
    /// Whether recipients may edit every visible field (else only the featured one).
    pub editable_fields_enabled: Option<bool>,
    /// The always-editable featured field.
    pub featured_field_definition_id: Option<String>,
    /// Field definitions shown in the share.
    pub visible_field_definition_ids: Option<Vec<String>>,
    /// Layout.
    pub layout: Option<ShareLayout>,
    /// Theme.
    pub theme: Option<ShareTheme>,
    /// Accent colour (hex).
    pub accent_color: Option<String>,
    /// Card aspect ratio (grid, reel).
    pub card_aspect_ratio: Option<CardAspectRatio>,
    /// Card size (grid).
    pub card_size: Option<ShareItemSize>,
    /// Whether card info is shown (grid).
    pub card_info_enabled: Option<bool>,
    /// Row size (list).
    pub list_row_size: Option<ShareItemSize>,
    /// Whether icons are shown next to fields (list).
    pub icons_visible_on_list: Option<bool>,
    /// Width of the name column in pixels (list).
    pub name_column_width: Option<i64>,
    /// Card aspect ratio (reel).
    pub reel_card_aspect_ratio: Option<CardAspectRatio>,
    /// Whether thumbnails fill reel cards.
    pub reel_card_fit_image: Option<bool>,
    /// Whether asset names are shown (reel).
    pub show_asset_name_in_reel_layout: Option<bool>,
    /// Whether a single asset opens in a larger view.
    pub open_in_viewer_enabled: Option<bool>,
    /// Thumbnail scale.
    pub thumbnail_scale: Option<ThumbnailScale>,
    /// Lines of card titles (grid).
    pub title_line_count: Option<i64>,
    /// Sort order of the assets.
    pub sort_by: Option<ShareSortBy>,
    /// When it was last viewed.
    pub last_viewed_at: Option<String>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// The share after an asset was added or removed, with the asset concerned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ShareAssetChange {
    /// The share.
    #[serde(flatten)]
    pub share: Share,
    /// Id of the asset that was added ([`Shares::add_asset`]).
    pub asset_added: Option<String>,
    /// Id of the asset that was removed ([`Shares::remove_asset`]).
    pub asset_removed: Option<String>,
}

/// One entry of a share's activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ShareActivity {
    /// Entry id.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub activity_type: ShareActivityType,
    /// Asset concerned, if any.
    pub asset_id: Option<String>,
    /// Acting user id.
    pub user_id: Option<String>,
    /// Acting user (with `include=user`).
    pub user: Option<User>,
    /// When it happened.
    pub inserted_at: Option<String>,
}

macro_rules! share_settings {
    (
        nullable: $nul:ident, $skip:literal;
        $(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Whether the link is active.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub enabled: Option<bool>,
            /// Description (needs the custom branded shares feature).
            #[serde(skip_serializing_if = $skip)]
            pub description: $nul<String>,
            /// Passphrase; generated when required and not given.
            #[serde(skip_serializing_if = $skip)]
            pub passphrase: $nul<String>,
            /// Expiration time (RFC 3339).
            #[serde(skip_serializing_if = $skip)]
            pub expiration: $nul<String>,
            /// Enable commenting.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub commenting_enabled: Option<bool>,
            /// Enable downloading.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub downloading_enabled: Option<bool>,
            /// Enable watermarking.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub watermark_enabled: Option<bool>,
            /// Enable forensic watermarking.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub forensic_watermark_enabled: Option<bool>,
            /// Enable DRM.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub drm_enabled: Option<bool>,
            /// Show captions.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub captions_enabled: Option<bool>,
            /// Show transcripts.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub transcripts_enabled: Option<bool>,
            /// Show every version of shared version stacks.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub show_all_asset_versions: Option<bool>,
            /// Let recipients edit every visible field.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub editable_fields_enabled: Option<bool>,
            /// Featured (always editable) field definition.
            #[serde(skip_serializing_if = $skip)]
            pub featured_field_definition_id: $nul<String>,
            /// Field definitions shown in the share.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub visible_field_definition_ids: Option<Vec<String>>,
            /// Layout (required when changing appearance fields).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub layout: Option<ShareLayout>,
            /// Theme.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub theme: Option<ShareTheme>,
            /// Accent colour (hex).
            #[serde(skip_serializing_if = $skip)]
            pub accent_color: $nul<String>,
            /// Card aspect ratio (grid, reel).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub card_aspect_ratio: Option<CardAspectRatio>,
            /// Card size (grid).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub card_size: Option<ShareItemSize>,
            /// Show card info (grid).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub card_info_enabled: Option<bool>,
            /// Row size (list).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub list_row_size: Option<ShareItemSize>,
            /// Show icons next to fields (list).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub icons_visible_on_list: Option<bool>,
            /// Name column width in pixels (list).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub name_column_width: Option<i64>,
            /// Card aspect ratio (reel).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub reel_card_aspect_ratio: Option<CardAspectRatio>,
            /// Fill reel cards with the thumbnail.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub reel_card_fit_image: Option<bool>,
            /// Show asset names (reel).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub show_asset_name_in_reel_layout: Option<bool>,
            /// Open a single asset in a larger view.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub open_in_viewer_enabled: Option<bool>,
            /// Thumbnail scale.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub thumbnail_scale: Option<ThumbnailScale>,
            /// Lines of card titles, 1 or 2 (grid).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub title_line_count: Option<i64>,
            /// Session watermark template applied when watermarking is on (default: the
            /// workspace's or account's template).
            #[serde(skip_serializing_if = $skip)]
            pub watermark_template_id: $nul<String>,
            /// Sort order of the assets.
            #[serde(skip_serializing_if = $skip)]
            pub sort_by: $nul<ShareSortBy>,
        }
    };
}

share_settings! {
    nullable: Option, "Option::is_none";
    /// Body of share creation (an asset share, sent with `type: "asset"`); `None` fields
    /// take the server's defaults.
    pub struct CreateShare {
        /// Name (required).
        name: String,
        /// Who can open it (required).
        access: ShareAccess,
        /// Asset ids to share.
        asset_ids: Vec<String>,
    }
}

impl CreateShare {
    /// A share named `name` with the given access.
    pub fn new(name: impl Into<String>, access: ShareAccess) -> Self {
        Self {
            name: Some(name.into()),
            access: Some(access),
            ..Self::default()
        }
    }
}

share_settings! {
    nullable: Patch, "Patch::is_unchanged";
    /// Body of share update; `None` and [`Patch::Unchanged`] fields are left unchanged, and
    /// the [`Patch`] fields (description, passphrase, expiration, featured field, accent
    /// colour, sort order, watermark template) can be cleared with [`Patch::Clear`]:
    ///
    /// ```
    /// use frameio_kit::client::Patch;
    /// use frameio_kit::client::shares::UpdateShare;
    ///
    /// let update = UpdateShare {
    ///     passphrase: Patch::Clear,
    ///     expiration: Patch::Set("2027-01-01T00:00:00Z".into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(
    ///     serde_json::to_string(&update).unwrap(),
    ///     r#"{"passphrase":null,"expiration":"2027-01-01T00:00:00Z"}"#
    /// );
    /// ```
    pub struct UpdateShare {
        /// New name.
        name: String,
        /// Who can open it.
        access: ShareAccess,
    }
}

/// [`CreateShare`] with the share type tag.
#[derive(Serialize)]
struct CreateShareBody<'a> {
    #[serde(rename = "type")]
    share_type: &'static str,
    #[serde(flatten)]
    rest: &'a CreateShare,
}

/// Who to add to or remove from a share; every list is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewers {
    /// Frame.io user ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<String>>,
    /// Email addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<String>>,
    /// Adobe user ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adobe_user_ids: Option<Vec<String>>,
    /// Share lists whose members are added (adding only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_list_ids: Option<Vec<String>>,
}

/// Body of [`Shares::add_reviewers`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddReviewers {
    /// Message of the notification.
    pub message: String,
    /// Send email notifications (server default: true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_by_email: Option<bool>,
    /// Who to add.
    pub reviewers: Reviewers,
}

impl AddReviewers {
    /// Add `reviewers` with a notification `message`.
    pub fn new(message: impl Into<String>, reviewers: Reviewers) -> Self {
        Self {
            message: message.into(),
            notify_by_email: None,
            reviewers,
        }
    }
}

#[derive(Serialize)]
struct RemoveReviewersBody<'a> {
    reviewers: &'a Reviewers,
}

#[derive(Serialize)]
struct AddAssetBody<'a> {
    asset_id: &'a str,
}

super::api_group! {
    /// Share endpoints; see [`Client::shares`](super::Client::shares).
    Shares
}

fn one(account_id: &str, share_id: &str) -> String {
    format!("/v4/accounts/{}/shares/{}", seg(account_id), seg(share_id))
}

fn in_project(account_id: &str, project_id: &str) -> String {
    format!(
        "/v4/accounts/{}/projects/{}/shares",
        seg(account_id),
        seg(project_id)
    )
}

impl Shares {
    /// `GET /v4/accounts/{account_id}/projects/{project_id}/shares`. Sort with
    /// [`Pager::sort`] (`name_asc`, `created_at_desc`…).
    pub fn list(&self, account_id: &str, project_id: &str) -> Pager<Share> {
        self.client.list(in_project(account_id, project_id))
    }

    /// `POST /v4/accounts/{account_id}/projects/{project_id}/shares`.
    pub fn create(
        &self,
        account_id: &str,
        project_id: &str,
        params: &CreateShare,
    ) -> ApiRequest<Share> {
        self.client.post(
            in_project(account_id, project_id),
            &CreateShareBody {
                share_type: "asset",
                rest: params,
            },
        )
    }

    /// `GET /v4/accounts/{account_id}/shares/{share_id}`.
    pub fn show(&self, account_id: &str, share_id: &str) -> ApiRequest<Share> {
        self.client.get(one(account_id, share_id))
    }

    /// `PATCH /v4/accounts/{account_id}/shares/{share_id}`.
    pub fn update(
        &self,
        account_id: &str,
        share_id: &str,
        params: &UpdateShare,
    ) -> ApiRequest<Share> {
        self.client.patch(one(account_id, share_id), params)
    }

    /// `DELETE /v4/accounts/{account_id}/shares/{share_id}`.
    pub fn delete(&self, account_id: &str, share_id: &str) -> ApiRequest<()> {
        self.client.delete(one(account_id, share_id))
    }

    /// `GET /v4/accounts/{account_id}/shares/{share_id}/assets`: every asset in the share as
    /// a flat list (descendants of shared folders and version stacks included).
    pub fn assets(&self, account_id: &str, share_id: &str) -> Pager<Asset> {
        self.client
            .list(format!("{}/assets", one(account_id, share_id)))
    }

    /// `POST /v4/accounts/{account_id}/shares/{share_id}/assets`.
    pub fn add_asset(
        &self,
        account_id: &str,
        share_id: &str,
        asset_id: &str,
    ) -> ApiRequest<ShareAssetChange> {
        self.client.post(
            format!("{}/assets", one(account_id, share_id)),
            &AddAssetBody { asset_id },
        )
    }

    /// `DELETE /v4/accounts/{account_id}/shares/{share_id}/assets/{asset_id}`.
    pub fn remove_asset(
        &self,
        account_id: &str,
        share_id: &str,
        asset_id: &str,
    ) -> ApiRequest<ShareAssetChange> {
        let path = format!("{}/assets/{}", one(account_id, share_id), seg(asset_id));
        self.client.delete_returning(path)
    }

    /// `GET /v4/accounts/{account_id}/shares/{share_id}/reviewers`.
    pub fn reviewers(&self, account_id: &str, share_id: &str) -> Pager<User> {
        self.client
            .list(format!("{}/reviewers", one(account_id, share_id)))
    }

    /// `POST /v4/accounts/{account_id}/shares/{share_id}/reviewers`.
    pub fn add_reviewers(
        &self,
        account_id: &str,
        share_id: &str,
        params: &AddReviewers,
    ) -> ApiRequest<()> {
        self.client
            .post_empty(format!("{}/reviewers", one(account_id, share_id)), params)
    }

    /// `DELETE /v4/accounts/{account_id}/shares/{share_id}/reviewers` (with a body).
    pub fn remove_reviewers(
        &self,
        account_id: &str,
        share_id: &str,
        reviewers: &Reviewers,
    ) -> ApiRequest<()> {
        self.client.delete_with(
            format!("{}/reviewers", one(account_id, share_id)),
            &RemoveReviewersBody { reviewers },
        )
    }

    /// `GET /v4/accounts/{account_id}/shares/{share_id}/activities` (`include=user` for the
    /// acting users).
    pub fn activities(&self, account_id: &str, share_id: &str) -> Pager<ShareActivity> {
        self.client
            .list(format!("{}/activities", one(account_id, share_id)))
    }
}
