//! The object store our copies live in, and the URL a consumer fetches each one by.
//!
//! `s3://bucket/prefix/`, `gs://bucket/prefix/`, `az://container/prefix/` take their
//! credentials and endpoints from each store's standard variables (`AWS_*`,
//! `GOOGLE_*`, `AZURE_*`, read by `object_store`'s `from_env`); `file:///dir/` (or a plain
//! path) is a local directory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt as _, PutOptions, PutPayload,
};
use url::Url;

use crate::ConfigError;

/// The one object besides the copies: written at startup to prove the store is writable.
pub const WRITE_CHECK_KEY: &str = ".wa-pipeline-write-check";

/// The longest lifetime S3 accepts for a pre-signed URL (SigV4).
const MAX_S3_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// How an event's `url` names our copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlStyle {
    /// `<base><key>`: a CDN or a public bucket in front of the store.
    Public(String),
    /// A pre-signed GET URL valid this long (S3, GCS, Azure); a local directory gets a
    /// `file://` URL.
    Presigned(Duration),
}

/// The store and how its objects are named and reached.
#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    signer: Option<Arc<dyn Signer>>,
    /// Key prefix (the URL's path), ending in `/` unless empty.
    prefix: String,
    url_style: UrlStyle,
    /// The local directory, for `file://` URLs.
    local_root: Option<PathBuf>,
    described: String,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("store", &self.described)
            .field("prefix", &self.prefix)
            .field("url_style", &self.url_style)
            .finish()
    }
}

impl MediaStore {
    /// Opens the store named by `location`.
    ///
    /// # Errors
    /// An unknown scheme, missing credentials or bucket, a directory that cannot be made,
    /// or pre-signed URLs on a store without a signer.
    pub fn open(location: &str, url_style: UrlStyle) -> Result<Self, ConfigError> {
        let fail = |detail: String| ConfigError::Store {
            url: location.to_owned(),
            detail,
        };
        let parsed = Url::parse(location).ok().filter(|u| u.scheme().len() > 1);
        let Some(url) = parsed.filter(|u| u.scheme() != "file") else {
            return Self::local(location, url_style).map_err(fail);
        };
        let bucket = url.host_str().unwrap_or("").to_owned();
        if bucket.is_empty() {
            return Err(fail("no bucket or container named".into()));
        }
        let prefix = key_prefix(url.path());
        if let UrlStyle::Presigned(ttl) = url_style {
            if ttl > MAX_S3_PRESIGN && url.scheme().starts_with("s3") {
                return Err(fail(format!(
                    "S3 pre-signed URLs live at most 7 days, not {ttl:?} (lower --media-url-ttl)"
                )));
            }
        }
        let built = match url.scheme() {
            "s3" | "s3a" => object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(&bucket)
                .build()
                .map(signing),
            "gs" => object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(&bucket)
                .build()
                .map(signing),
            "az" | "azure" | "abfs" | "abfss" => {
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_container_name(&bucket)
                    .build()
                    .map(signing)
            }
            other => {
                return Err(fail(format!(
                    "unknown scheme {other:?} (use s3://, gs://, az:// or file://)"
                )))
            }
        };
        let (store, signer) = built.map_err(|e| fail(e.to_string()))?;
        Ok(MediaStore {
            store,
            signer: Some(signer),
            prefix,
            url_style,
            local_root: None,
            described: format!("{}://{bucket}", url.scheme()),
        })
    }

    fn local(location: &str, url_style: UrlStyle) -> Result<Self, String> {
        let dir = match Url::parse(location) {
            Ok(url) if url.scheme() == "file" => url
                .to_file_path()
                .map_err(|()| "not a local file URL".to_owned())?,
            _ => PathBuf::from(location),
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let dir = dir
            .canonicalize()
            .map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| e.to_string())?;
        Ok(MediaStore {
            store: Arc::new(store),
            signer: None,
            prefix: String::new(),
            url_style,
            described: format!("file://{}", dir.display()),
            local_root: Some(dir),
        })
    }

    /// Writes (and overwrites) [`WRITE_CHECK_KEY`] under the prefix: wrong credentials, a
    /// missing bucket or a read-only role show at startup, not on the first attachment.
    ///
    /// # Errors
    /// The store's error.
    pub async fn check_writable(&self) -> Result<(), object_store::Error> {
        let key = format!("{}{WRITE_CHECK_KEY}", self.prefix);
        self.put(
            &key,
            Bytes::from_static(b"wa-pipeline can write here\n"),
            "text/plain",
        )
        .await
    }

    /// The prefix every key starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The underlying store (tests list it).
    pub fn inner(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Whether an object is stored under `key`.
    ///
    /// # Errors
    /// The store's error other than "not found".
    pub async fn exists(&self, key: &str) -> Result<bool, object_store::Error> {
        match self.store.head(&Path::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stores `bytes` under `key`, with its MIME type where the store keeps one.
    ///
    /// # Errors
    /// The store's error.
    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        mime_type: &str,
    ) -> Result<(), object_store::Error> {
        let mut options = PutOptions::default();
        // A local directory keeps no attributes (object_store refuses them there).
        if self.local_root.is_none() && !mime_type.is_empty() {
            let mut attributes = Attributes::new();
            attributes.insert(Attribute::ContentType, mime_type.to_owned().into());
            options.attributes = attributes;
        }
        self.store
            .put_opts(&Path::from(key), PutPayload::from_bytes(bytes), options)
            .await
            .map(|_| ())
    }

    /// The URL a consumer fetches `key` by.
    ///
    /// # Errors
    /// The signer's error.
    pub async fn url_for(&self, key: &str) -> Result<String, object_store::Error> {
        match (&self.url_style, &self.signer, &self.local_root) {
            (UrlStyle::Public(base), _, _) => Ok(format!("{base}{key}")),
            (UrlStyle::Presigned(ttl), Some(signer), _) => signer
                .signed_url(reqwest::Method::GET, &Path::from(key), *ttl)
                .await
                .map(String::from),
            (UrlStyle::Presigned(_), None, Some(root)) => Url::from_file_path(root.join(key))
                .map(String::from)
                .map_err(|()| object_store::Error::Generic {
                    store: "local",
                    source: format!("{} is not an absolute path", root.display()).into(),
                }),
            (UrlStyle::Presigned(_), None, None) => Err(object_store::Error::NotImplemented {
                operation: "pre-signed URLs".into(),
                implementer: self.described.clone(),
            }),
        }
    }
}

/// A cloud store, and the same store as the signer of its URLs.
type Signing = (Arc<dyn ObjectStore>, Arc<dyn Signer>);

fn signing<S: ObjectStore + Signer>(store: S) -> Signing {
    let store = Arc::new(store);
    (store.clone(), store)
}

/// A URL path as a key prefix: `/a/b` → `a/b/`; `/` → ``.
fn key_prefix(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_come_from_the_url_path() {
        assert_eq!(key_prefix("/"), "");
        assert_eq!(key_prefix(""), "");
        assert_eq!(key_prefix("/wa/media/"), "wa/media/");
        assert_eq!(key_prefix("/wa"), "wa/");
    }

    #[test]
    fn unknown_schemes_and_bucketless_urls_are_refused() {
        let style = UrlStyle::Presigned(Duration::from_secs(60));
        let error = MediaStore::open("ftp://bucket/x", style.clone()).unwrap_err();
        assert!(error.to_string().contains("unknown scheme"), "{error}");
        assert!(MediaStore::open("s3:///x", style).is_err());
        let long = UrlStyle::Presigned(MAX_S3_PRESIGN + Duration::from_secs(1));
        let error = MediaStore::open("s3://bucket/", long)
            .unwrap_err()
            .to_string();
        assert!(error.contains("--media-url-ttl"), "{error}");
    }
}
