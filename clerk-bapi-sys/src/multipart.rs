//! The operations whose request body is `multipart/form-data`, which progenitor cannot generate,
//! written by hand in the style of the generated builders: a method on [`Client`] returns a
//! builder, its setters keep the first conversion error, and `send` goes through the same hooks as
//! every generated operation (`Clerk-API-Version`, the [`MAX_RESPONSE_BODY`](crate::MAX_RESPONSE_BODY)
//! cap on the answer) and fails with the same [`Error`].
//!
//! Each exists with its tag's feature, like the generated operations: `users`
//! ([`SetUserProfileImage`]), `organizations` ([`UploadOrganizationLogo`]) and
//! `oauth-applications` ([`UploadOAuthApplicationLogo`]). Method, path and success status come from
//! [`routes`](crate::routes), the parts from the spec (`tests/multipart.rs` checks both against
//! the vendored spec).

use serde::de::DeserializeOwned;

use crate::{Client, ClientHooks, ClientInfo, Error, OperationInfo, ResponseValue, Route};

/// A file to upload: its bytes, the file name and the content type sent with them.
///
/// Clerk takes images of type `image/jpeg`, `image/png`, `image/gif` or `image/webp`, of at most
/// 10 MB, and checks both itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    bytes: Vec<u8>,
    file_name: String,
    content_type: String,
}

impl File {
    /// A file of `bytes`, sent as `file_name` with `content_type` (e.g. `image/png`).
    pub fn new(
        bytes: impl Into<Vec<u8>>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
    ) -> Self {
        Self {
            bytes: bytes.into(),
            file_name: file_name.into(),
            content_type: content_type.into(),
        }
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file name sent with the bytes.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The content type sent with the bytes.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The part, or why its content type is not one.
    fn into_part(self) -> Result<reqwest::multipart::Part, String> {
        reqwest::multipart::Part::bytes(self.bytes)
            .file_name(self.file_name)
            .mime_str(&self.content_type)
            .map_err(|err| format!("content type {:?} of file: {err}", self.content_type))
    }
}

/// The value a setter stores, or why the conversion failed, as the generated builders do.
fn convert<V: TryInto<T>, T>(value: V, name: &str) -> Result<T, String> {
    value.try_into().map_err(|_| {
        format!(
            "conversion to `{}` for {name} failed",
            std::any::type_name::<T>()
        )
    })
}

fn missing<T>(name: &str) -> Result<T, String> {
    Err(format!("{name} was not initialized"))
}

/// The body of both logo uploads: `uploader_user_id` when set, then `file`; or why a setter's
/// value was refused.
#[cfg(any(feature = "organizations", feature = "oauth-applications"))]
fn logo_form(
    file: Result<File, String>,
    uploader_user_id: Result<Option<String>, String>,
) -> Result<reqwest::multipart::Form, String> {
    let file = file?;
    let mut form = reqwest::multipart::Form::new();
    if let Some(uploader_user_id) = uploader_user_id? {
        form = form.text("uploader_user_id", uploader_user_id);
    }
    Ok(form.part("file", file.into_part()?))
}

/// Sends `form` to `route` with its path filled in by `args`, through the client's hooks, and
/// decodes the route's success status as `T`; any other status comes back whole as
/// [`Error::UnexpectedResponse`].
async fn send<T: DeserializeOwned>(
    client: &Client,
    route: &Route,
    args: &[&str],
    form: reqwest::multipart::Form,
    operation_id: &'static str,
) -> Result<ResponseValue<T>, Error<()>> {
    let mut url = String::from(client.baseurl());
    route
        .write_path(&mut url, args)
        .map_err(|err| Error::InvalidRequest(err.to_string()))?;
    let mut request = client
        .client()
        .request(route.method.clone(), url)
        .header(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/json"),
        )
        .multipart(form)
        .build()?;
    let info = OperationInfo { operation_id };
    client.pre(&mut request, &info).await?;
    let result = client.exec(request, &info).await;
    client.post(&result, &info).await?;
    let response = result?;
    if response.status().as_u16() == route.success {
        ResponseValue::from_response(response).await
    } else {
        Err(Error::UnexpectedResponse(response))
    }
}

#[cfg(feature = "users")]
pub use users::SetUserProfileImage;

#[cfg(feature = "users")]
mod users {
    use super::{File, convert, missing, send};
    use crate::{Client, Error, ResponseValue, routes, types};

    impl Client {
        /// Sets a user's profile image: `POST /users/{user_id}/profile_image`
        /// (`SetUserProfileImage`, a `multipart/form-data` body).
        ///
        /// ```no_run
        /// # async fn example(client: &clerk_bapi_sys::Client) -> Result<(), clerk_bapi_sys::Error> {
        /// use clerk_bapi_sys::multipart::File;
        ///
        /// let png = std::fs::read("avatar.png").expect("the image");
        /// let user = client
        ///     .set_user_profile_image()
        ///     .user_id("user_123")
        ///     .file(File::new(png, "avatar.png", "image/png"))
        ///     .send()
        ///     .await?;
        /// println!("{:?}", user.image_url);
        /// # Ok(()) }
        /// ```
        pub fn set_user_profile_image(&self) -> SetUserProfileImage<'_> {
            SetUserProfileImage::new(self)
        }
    }

    /// Builder for [`Client::set_user_profile_image`].
    #[derive(Debug, Clone)]
    pub struct SetUserProfileImage<'a> {
        client: &'a Client,
        user_id: Result<String, String>,
        file: Result<Option<File>, String>,
    }

    impl<'a> SetUserProfileImage<'a> {
        /// A builder with nothing set; [`Client`]'s method is the usual way in.
        pub fn new(client: &'a Client) -> Self {
            Self {
                client,
                user_id: missing("user_id"),
                file: Ok(None),
            }
        }

        /// The user whose profile image to set (path).
        pub fn user_id<V: TryInto<String>>(mut self, value: V) -> Self {
            self.user_id = convert(value, "user_id");
            self
        }

        /// The image (part `file`; the spec does not require it).
        pub fn file(mut self, value: File) -> Self {
            self.file = Ok(Some(value));
            self
        }

        /// Sends a `POST` request to `/users/{user_id}/profile_image`.
        pub async fn send(self) -> Result<ResponseValue<types::User>, Error<()>> {
            let Self {
                client,
                user_id,
                file,
            } = self;
            let user_id = user_id.map_err(Error::InvalidRequest)?;
            let file = file.map_err(Error::InvalidRequest)?;
            let mut form = reqwest::multipart::Form::new();
            if let Some(file) = file {
                form = form.part("file", file.into_part().map_err(Error::InvalidRequest)?);
            }
            send(
                client,
                &routes::SET_USER_PROFILE_IMAGE,
                &[&user_id],
                form,
                "set_user_profile_image",
            )
            .await
        }
    }
}

/// The two logo uploads, which differ only in their names, path parameter, route and answer.
#[cfg(any(feature = "organizations", feature = "oauth-applications"))]
macro_rules! logo_upload {
    (
        $(#[$method_doc:meta])*
        fn $method:ident -> $builder:ident;
        $(#[$id_doc:meta])*
        path $id:ident;
        route $route:ident;
        answer $answer:ident;
    ) => {
        impl Client {
            $(#[$method_doc])*
            pub fn $method(&self) -> $builder<'_> {
                $builder::new(self)
            }
        }

        #[doc = concat!("Builder for [`Client::", stringify!($method), "`].")]
        #[derive(Debug, Clone)]
        pub struct $builder<'a> {
            client: &'a Client,
            $id: Result<String, String>,
            file: Result<File, String>,
            uploader_user_id: Result<Option<String>, String>,
        }

        impl<'a> $builder<'a> {
            /// A builder with nothing set; [`Client`]'s method is the usual way in.
            pub fn new(client: &'a Client) -> Self {
                Self {
                    client,
                    $id: missing(stringify!($id)),
                    file: missing("file"),
                    uploader_user_id: Ok(None),
                }
            }

            $(#[$id_doc])*
            pub fn $id<V: TryInto<String>>(mut self, value: V) -> Self {
                self.$id = convert(value, stringify!($id));
                self
            }

            /// The image (part `file`, required).
            pub fn file(mut self, value: File) -> Self {
                self.file = Ok(value);
                self
            }

            /// The user credited with the upload (part `uploader_user_id`).
            pub fn uploader_user_id<V: TryInto<String>>(mut self, value: V) -> Self {
                self.uploader_user_id = convert(value, "uploader_user_id").map(Some);
                self
            }

            #[doc = concat!("Sends the request ([`routes::", stringify!($route), "`]).")]
            pub async fn send(self) -> Result<ResponseValue<types::$answer>, Error<()>> {
                let id = self.$id.map_err(Error::InvalidRequest)?;
                let form =
                    logo_form(self.file, self.uploader_user_id).map_err(Error::InvalidRequest)?;
                send(self.client, &routes::$route, &[&id], form, stringify!($method)).await
            }
        }
    };
}

#[cfg(feature = "organizations")]
pub use organizations::UploadOrganizationLogo;

#[cfg(feature = "organizations")]
mod organizations {
    use super::{File, convert, logo_form, missing, send};
    use crate::{Client, Error, ResponseValue, routes, types};

    logo_upload! {
        /// Sets or replaces an organization's logo: `PUT /organizations/{organization_id}/logo`
        /// (`UploadOrganizationLogo`, a `multipart/form-data` body).
        fn upload_organization_logo -> UploadOrganizationLogo;
        /// The organization whose logo to set (path).
        path organization_id;
        route UPLOAD_ORGANIZATION_LOGO;
        answer OrganizationWithLogo;
    }
}

#[cfg(feature = "oauth-applications")]
pub use oauth_applications::UploadOAuthApplicationLogo;

#[cfg(feature = "oauth-applications")]
mod oauth_applications {
    use super::{File, convert, logo_form, missing, send};
    use crate::{Client, Error, ResponseValue, routes, types};

    logo_upload! {
        /// Sets or replaces an OAuth application's logo:
        /// `PUT /oauth_applications/{oauth_application_id}/logo` (`UploadOAuthApplicationLogo`, a
        /// `multipart/form-data` body).
        fn upload_o_auth_application_logo -> UploadOAuthApplicationLogo;
        /// The OAuth application whose logo to set (path).
        path oauth_application_id;
        route UPLOAD_O_AUTH_APPLICATION_LOGO;
        answer OAuthApplication;
    }
}
