//! The experimental Frame.io API: endpoints that exist only with `api-version: experimental`.
//!
//! Every request made through [`Client::experimental`] carries the header
//! `api-version: experimental`. Experimental endpoints may change or disappear without
//! notice; the stable endpoints remain on their usual accessors.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::experimental::{
//!     CreateWatermarkTemplate, DataPoint, DataPointType, WatermarkBlock,
//! };
//! use frameio_kit::client::permissions::Role;
//!
//! let exp = client.experimental();
//! let account = exp.accounts().show("account-id").await?;
//! exp.groups().add_members("account-id", "group-id", &["user-id".to_string()]).await?;
//! exp.permissions()
//!     .update_project_group_role("account-id", "project-id", "group-id", Role::Editor)
//!     .await?;
//! let block = WatermarkBlock::lines(vec![DataPoint::new(DataPointType::Email)]);
//! let template = exp
//!     .session_watermark_templates()
//!     .create(&account.id, &CreateWatermarkTemplate::new("Reviewer email", vec![block]))
//!     .await?;
//! exp.files().restore(&account.id, "file-id").await?;
//! # let _ = template; Ok(()) }
//! ```

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::accounts::Account;
use super::groups::{self, Group};
use super::metadata::{self, FileMetadata, MetadataValue};
use super::metadata_fields::{self, FieldDefinition};
use super::models::{Asset, File, Folder, User, VersionStack, open_enum};
use super::pager::Pager;
use super::permissions::{Role, RoleAssignment, RoleBody};
use super::transport::{ApiRequest, Client, RequestSpec, seg};
use super::users::AccountRole;

fn json<T: DeserializeOwned>(client: &Client, spec: RequestSpec) -> ApiRequest<T> {
    ApiRequest::json(client, spec).experimental()
}

fn empty(client: &Client, spec: RequestSpec) -> ApiRequest<()> {
    ApiRequest::empty(client, spec).experimental()
}

fn pager<T: DeserializeOwned + Send + 'static>(client: &Client, spec: RequestSpec) -> Pager<T> {
    Pager::new(client, spec).experimental()
}

fn account(account_id: &str) -> String {
    format!("/v4/accounts/{}", seg(account_id))
}

/// Entry point of the experimental API; see [`Client::experimental`].
#[derive(Debug, Clone)]
pub struct Experimental {
    pub(crate) client: Client,
}

macro_rules! sub_api {
    ($($(#[$meta:meta])* $method:ident => $ty:ident;)*) => {
        impl Experimental {
            $(
                $(#[$meta])*
                pub fn $method(&self) -> $ty {
                    $ty { client: self.client.clone() }
                }
            )*
        }
        $(
            $(#[$meta])*
            #[derive(Debug, Clone)]
            pub struct $ty {
                client: Client,
            }
        )*
    };
}

sub_api! {
    /// Experimental account endpoints: one account, one account user, their memberships.
    accounts => Accounts;
    /// Experimental file endpoints: bulk get, restore.
    files => Files;
    /// Experimental folder endpoints: restore.
    folders => Folders;
    /// Experimental version stack endpoints: restore, reorder versions.
    version_stacks => VersionStacks;
    /// Experimental group endpoints: delete, members, Adobe groups.
    groups => Groups;
    /// Experimental metadata endpoints: update the values of one file, show one field
    /// definition.
    metadata => Metadata;
    /// Experimental permission endpoints: group roles on workspaces and projects.
    permissions => Permissions;
    /// Session watermark templates.
    session_watermark_templates => SessionWatermarkTemplates;
}

// ---------------------------------------------------------------------------------------
// Accounts and account users

/// A user as returned by the experimental account user endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountMemberUser {
    /// The user.
    #[serde(flatten)]
    pub user: User,
    /// When the user joined the account.
    pub joined_at: Option<String>,
    /// Last activity.
    pub last_active_at: Option<String>,
    /// Time zone.
    pub timezone: Option<String>,
}

/// A user of an account and their account role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountMember {
    /// Account role.
    pub role: Option<AccountRole>,
    /// The user.
    pub user: AccountMemberUser,
}

open_enum! {
    /// Kind of a membership.
    pub enum MembershipType {
        /// Member of a group.
        Group => "group",
        /// Member of a project.
        Project => "project",
        /// Member of a workspace.
        Workspace => "workspace",
    }
}

/// A group, project or workspace a user belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Membership {
    /// Id of the group, project or workspace.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Kind.
    #[serde(rename = "type")]
    pub membership_type: MembershipType,
    /// Role (projects and workspaces).
    pub role: Option<Role>,
}

impl Pager<Membership> {
    /// Only memberships of one kind (`type`: `group`, `project` or `workspace`).
    pub fn membership_type(self, kind: MembershipType) -> Self {
        self.param("type", kind)
    }
}

impl Accounts {
    /// `GET /v4/accounts/{account_id}` (experimental).
    pub fn show(&self, account_id: &str) -> ApiRequest<Account> {
        json(
            &self.client,
            RequestSpec::new(Method::GET, account(account_id)),
        )
    }

    /// `GET /v4/accounts/{account_id}/users/{user_id}` (experimental).
    pub fn user(&self, account_id: &str, user_id: &str) -> ApiRequest<AccountMember> {
        json(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("{}/users/{}", account(account_id), seg(user_id)),
            ),
        )
    }

    /// `GET /v4/accounts/{account_id}/users/{user_id}/memberships` (experimental). Filter
    /// with [`Pager::membership_type`](Pager#method.membership_type).
    pub fn user_memberships(&self, account_id: &str, user_id: &str) -> Pager<Membership> {
        pager(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("{}/users/{}/memberships", account(account_id), seg(user_id)),
            ),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Files, folders, version stacks

/// Why one file of a bulk get could not be returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BulkFileError {
    /// Short title.
    pub title: String,
    /// Detail.
    pub detail: String,
}

/// One entry of a bulk get: the file or an error, with a per-file status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BulkFileResult {
    /// Requested file id.
    pub id: String,
    /// HTTP-like status of this entry.
    pub status: u16,
    /// The file, when found.
    pub file: Option<File>,
    /// The error, when not.
    pub error: Option<BulkFileError>,
}

#[derive(Serialize)]
struct FileIds<'a> {
    file_ids: &'a [String],
}

impl Files {
    /// `POST /v4/accounts/{account_id}/files/bulk_get` (experimental): several files at once.
    /// Use [`ApiRequest::include`] for `media_links.…`, `creator`…
    pub fn bulk_get(
        &self,
        account_id: &str,
        file_ids: &[String],
    ) -> ApiRequest<Vec<BulkFileResult>> {
        json(
            &self.client,
            RequestSpec::new(
                Method::POST,
                format!("{}/files/bulk_get", account(account_id)),
            )
            .data(&FileIds { file_ids }),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/files/{file_id}/restore` (experimental): restore a
    /// deleted file.
    pub fn restore(&self, account_id: &str, file_id: &str) -> ApiRequest<File> {
        json(
            &self.client,
            RequestSpec::new(
                Method::PATCH,
                format!("{}/files/{}/restore", account(account_id), seg(file_id)),
            ),
        )
    }
}

impl Folders {
    /// `PATCH /v4/accounts/{account_id}/folders/{folder_id}/restore` (experimental).
    pub fn restore(&self, account_id: &str, folder_id: &str) -> ApiRequest<Folder> {
        json(
            &self.client,
            RequestSpec::new(
                Method::PATCH,
                format!("{}/folders/{}/restore", account(account_id), seg(folder_id)),
            ),
        )
    }
}

open_enum! {
    /// Where [`ReorderVersions::move_to`] puts a version.
    pub enum MoveTo {
        /// First (newest) position.
        Top => "top",
        /// Last position.
        Bottom => "bottom",
    }
}

/// Body of [`VersionStacks::reorder`]: move `target_file_id` above or below another version,
/// or to the top or bottom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReorderVersions {
    /// The version to move.
    pub target_file_id: String,
    /// Place it directly above this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_above_file_id: Option<String>,
    /// Place it directly below this version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_below_file_id: Option<String>,
    /// Place it at the top or bottom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub move_to: Option<MoveTo>,
}

impl ReorderVersions {
    /// Move `target_file_id` to the top or bottom.
    pub fn to(target_file_id: impl Into<String>, position: MoveTo) -> Self {
        Self {
            target_file_id: target_file_id.into(),
            move_to: Some(position),
            ..Self::default()
        }
    }
}

impl VersionStacks {
    /// `PATCH /v4/accounts/{account_id}/version_stacks/{version_stack_id}/restore`
    /// (experimental).
    pub fn restore(&self, account_id: &str, version_stack_id: &str) -> ApiRequest<VersionStack> {
        json(
            &self.client,
            RequestSpec::new(
                Method::PATCH,
                format!(
                    "{}/version_stacks/{}/restore",
                    account(account_id),
                    seg(version_stack_id)
                ),
            ),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/version_stacks/{version_stack_id}/versions`
    /// (experimental): reorder the versions; returns them in their new order.
    pub fn reorder(
        &self,
        account_id: &str,
        version_stack_id: &str,
        params: &ReorderVersions,
    ) -> ApiRequest<Vec<Asset>> {
        json(
            &self.client,
            RequestSpec::new(
                Method::PATCH,
                format!(
                    "{}/version_stacks/{}/versions",
                    account(account_id),
                    seg(version_stack_id)
                ),
            )
            .data(params),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Groups

/// An Adobe (Admin Console) group that can be added to the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AdobeGroup {
    /// Adobe group id.
    pub adobe_group_id: String,
    /// Name.
    pub name: String,
}

/// Response of [`Groups::add_adobe_group`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AdobeGroupAdded {
    /// The synchronised group.
    pub data: Group,
    /// Message from the server (e.g. about the synchronisation).
    pub message: Option<String>,
}

#[derive(Serialize)]
struct UserIds<'a> {
    user_ids: &'a [String],
}

#[derive(Serialize)]
struct AdobeGroupId<'a> {
    adobe_group_id: &'a str,
}

impl Groups {
    /// `DELETE /v4/accounts/{account_id}/groups/{group_id}` (experimental).
    pub fn delete(&self, account_id: &str, group_id: &str) -> ApiRequest<()> {
        empty(
            &self.client,
            RequestSpec::new(Method::DELETE, groups::one(account_id, group_id)),
        )
    }

    /// `GET /v4/accounts/{account_id}/groups/{group_id}/users` (experimental).
    pub fn members(&self, account_id: &str, group_id: &str) -> Pager<User> {
        pager(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("{}/users", groups::one(account_id, group_id)),
            ),
        )
    }

    /// `POST /v4/accounts/{account_id}/groups/{group_id}/users` (experimental).
    pub fn add_members(
        &self,
        account_id: &str,
        group_id: &str,
        user_ids: &[String],
    ) -> ApiRequest<()> {
        empty(
            &self.client,
            RequestSpec::new(
                Method::POST,
                format!("{}/users", groups::one(account_id, group_id)),
            )
            .data(&UserIds { user_ids }),
        )
    }

    /// `DELETE /v4/accounts/{account_id}/groups/{group_id}/users/{user_id}` (experimental).
    pub fn remove_member(&self, account_id: &str, group_id: &str, user_id: &str) -> ApiRequest<()> {
        empty(
            &self.client,
            RequestSpec::new(
                Method::DELETE,
                format!(
                    "{}/users/{}",
                    groups::one(account_id, group_id),
                    seg(user_id)
                ),
            ),
        )
    }

    /// `GET /v4/accounts/{account_id}/adobe_groups` (experimental): Adobe groups that can
    /// be added.
    pub fn adobe_groups(&self, account_id: &str) -> Pager<AdobeGroup> {
        pager(
            &self.client,
            RequestSpec::new(Method::GET, format!("{}/adobe_groups", account(account_id))),
        )
    }

    /// `POST /v4/accounts/{account_id}/adobe_groups` (experimental): add and synchronise an
    /// Adobe group.
    pub fn add_adobe_group(
        &self,
        account_id: &str,
        adobe_group_id: &str,
    ) -> ApiRequest<AdobeGroupAdded> {
        ApiRequest::whole(
            &self.client,
            RequestSpec::new(
                Method::POST,
                format!("{}/adobe_groups", account(account_id)),
            )
            .data(&AdobeGroupId { adobe_group_id }),
        )
        .experimental()
    }
}

// ---------------------------------------------------------------------------------------
// Metadata

#[derive(Serialize)]
struct Values<'a> {
    values: &'a [MetadataValue],
}

impl Metadata {
    /// `PATCH /v4/accounts/{account_id}/files/{file_id}/metadata` (experimental): set values
    /// on one file; returns its metadata.
    pub fn update(
        &self,
        account_id: &str,
        file_id: &str,
        values: &[MetadataValue],
    ) -> ApiRequest<FileMetadata> {
        json(
            &self.client,
            RequestSpec::new(Method::PATCH, metadata::of_file(account_id, file_id))
                .data(&Values { values }),
        )
    }

    /// `GET /v4/accounts/{account_id}/metadata/field_definitions/{field_definition_id}`
    /// (experimental; `include=creator` for the creator).
    pub fn field_definition(
        &self,
        account_id: &str,
        field_definition_id: &str,
    ) -> ApiRequest<FieldDefinition> {
        json(
            &self.client,
            RequestSpec::new(
                Method::GET,
                metadata_fields::one(account_id, field_definition_id),
            ),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Group permissions

/// A group and its role on a workspace or project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct GroupRole {
    /// Role.
    pub role: Option<Role>,
    /// The group.
    pub group: Group,
}

fn groups_of(account_id: &str, kind: &str, id: &str) -> String {
    format!("{}/{kind}/{}/groups", account(account_id), seg(id))
}

impl Permissions {
    fn list(&self, path: String) -> Pager<GroupRole> {
        pager(&self.client, RequestSpec::new(Method::GET, path))
    }

    fn update(&self, path: String, role: Role) -> ApiRequest<RoleAssignment> {
        json(
            &self.client,
            RequestSpec::new(Method::PATCH, path).data(&RoleBody { role: &role }),
        )
    }

    /// `GET /v4/accounts/{account_id}/workspaces/{workspace_id}/groups` (experimental).
    pub fn workspace_groups(&self, account_id: &str, workspace_id: &str) -> Pager<GroupRole> {
        self.list(groups_of(account_id, "workspaces", workspace_id))
    }

    /// `PATCH /v4/accounts/{account_id}/workspaces/{workspace_id}/groups/{group_id}`
    /// (experimental).
    pub fn update_workspace_group_role(
        &self,
        account_id: &str,
        workspace_id: &str,
        group_id: &str,
        role: Role,
    ) -> ApiRequest<RoleAssignment> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "workspaces", workspace_id),
            seg(group_id)
        );
        self.update(path, role)
    }

    /// `DELETE /v4/accounts/{account_id}/workspaces/{workspace_id}/groups/{group_id}`
    /// (experimental).
    pub fn remove_workspace_group(
        &self,
        account_id: &str,
        workspace_id: &str,
        group_id: &str,
    ) -> ApiRequest<()> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "workspaces", workspace_id),
            seg(group_id)
        );
        empty(&self.client, RequestSpec::new(Method::DELETE, path))
    }

    /// `GET /v4/accounts/{account_id}/projects/{project_id}/groups` (experimental).
    pub fn project_groups(&self, account_id: &str, project_id: &str) -> Pager<GroupRole> {
        self.list(groups_of(account_id, "projects", project_id))
    }

    /// `PATCH /v4/accounts/{account_id}/projects/{project_id}/groups/{group_id}`
    /// (experimental).
    pub fn update_project_group_role(
        &self,
        account_id: &str,
        project_id: &str,
        group_id: &str,
        role: Role,
    ) -> ApiRequest<RoleAssignment> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "projects", project_id),
            seg(group_id)
        );
        self.update(path, role)
    }

    /// `DELETE /v4/accounts/{account_id}/projects/{project_id}/groups/{group_id}`
    /// (experimental).
    pub fn remove_project_group(
        &self,
        account_id: &str,
        project_id: &str,
        group_id: &str,
    ) -> ApiRequest<()> {
        let path = format!(
            "{}/{}",
            groups_of(account_id, "projects", project_id),
            seg(group_id)
        );
        empty(&self.client, RequestSpec::new(Method::DELETE, path))
    }
}

// ---------------------------------------------------------------------------------------
// Session watermark templates

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
        pager(
            &self.client,
            RequestSpec::new(Method::GET, templates(account_id)),
        )
    }

    /// `POST /v4/accounts/{account_id}/session_watermark_templates` (experimental).
    pub fn create(
        &self,
        account_id: &str,
        params: &CreateWatermarkTemplate,
    ) -> ApiRequest<WatermarkTemplate> {
        json(
            &self.client,
            RequestSpec::new(Method::POST, templates(account_id)).data(params),
        )
    }

    /// `GET /v4/accounts/{account_id}/session_watermark_templates/{template_id}`
    /// (experimental).
    pub fn show(&self, account_id: &str, template_id: &str) -> ApiRequest<WatermarkTemplate> {
        json(
            &self.client,
            RequestSpec::new(
                Method::GET,
                format!("{}/{}", templates(account_id), seg(template_id)),
            ),
        )
    }

    /// `PATCH /v4/accounts/{account_id}/session_watermark_templates/{template_id}`
    /// (experimental).
    pub fn update(
        &self,
        account_id: &str,
        template_id: &str,
        params: &UpdateWatermarkTemplate,
    ) -> ApiRequest<WatermarkTemplate> {
        json(
            &self.client,
            RequestSpec::new(
                Method::PATCH,
                format!("{}/{}", templates(account_id), seg(template_id)),
            )
            .data(params),
        )
    }
}
