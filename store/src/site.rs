//! Site-wide settings: the "Chat and collaboration" module and the Q&A default.

use domain::api::SiteSettings;

use crate::auth::Viewer;
use crate::db::with_pool;
use crate::error::{Error, Result};
use crate::Store;

impl Store {
    pub async fn site_settings(&self) -> Result<SiteSettings> {
        let row: Option<(bool, bool)> = with_pool!(&self.db, pool =>
            sqlx::query_as("SELECT chat_collaboration, qna_default FROM site_settings WHERE id = 1")
                .fetch_optional(pool)
                .await?
        );
        Ok(row
            .map(|(chat_collaboration, qna_default)| SiteSettings {
                chat_collaboration,
                qna_default,
            })
            .unwrap_or_default())
    }

    pub async fn save_site_settings(
        &self,
        viewer: &Viewer,
        settings: SiteSettings,
    ) -> Result<SiteSettings> {
        if !viewer.identity.site_admin {
            return Err(Error::Forbidden(
                "only site administrators can change site settings".into(),
            ));
        }
        with_pool!(&self.db, pool =>
            sqlx::query(
                "INSERT INTO site_settings (id, chat_collaboration, qna_default) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET chat_collaboration = excluded.chat_collaboration, \
                 qna_default = excluded.qna_default",
            )
            .bind(settings.chat_collaboration)
            .bind(settings.qna_default)
            .execute(pool)
            .await?
            .rows_affected()
        );
        tracing::info!(
            user_id = viewer.identity.user_id,
            ?settings,
            "site settings saved"
        );
        let _ = self.changes.send(crate::Change::SiteSettings);
        self.site_settings().await
    }
}
