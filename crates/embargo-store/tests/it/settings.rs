//! Instance settings.

use embargo_store::settings::Setting;

use crate::conformance;
use crate::fixture::Db;

conformance!(settings_set_overwrite_and_clear);

async fn settings_set_overwrite_and_clear(db: &Db) {
    let mut r = db.read().await;
    assert_eq!(r.setting(Setting::SignupOpen).await.unwrap(), None);
    for value in ["false", "true"] {
        db.write(move |tx| Box::pin(async move { tx.set_setting(Setting::SignupOpen, Some(value.into())).await }))
            .await
            .unwrap();
        assert_eq!(r.setting(Setting::SignupOpen).await.unwrap().as_deref(), Some(value));
    }
    db.write(|tx| Box::pin(async move { tx.set_setting(Setting::SignupOpen, None).await })).await.unwrap();
    assert_eq!(r.setting(Setting::SignupOpen).await.unwrap(), None);
}
