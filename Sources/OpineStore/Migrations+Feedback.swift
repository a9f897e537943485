import GRDB

extension Migrations {
    /// `v15-rejection-feedback`: what an uploader needs to act on a refusal. `public_id` is the refusal's
    /// `RejectionID` (null for duplicates and for refusals recorded before this migration), shown alike in the
    /// `bundle.rejected` webhook, reason.json and `opine rejected`; `entry` is the file at fault by its path within the
    /// upload (scrubbed by the purge with the upload's name); `field` the manifest field path at fault.
    static let feedbackV15 = """
            ALTER TABLE rejections ADD COLUMN public_id TEXT;
            ALTER TABLE rejections ADD COLUMN entry TEXT;
            ALTER TABLE rejections ADD COLUMN field TEXT;
            CREATE UNIQUE INDEX rejections_by_public_id ON rejections(public_id) WHERE public_id IS NOT NULL;
            PRAGMA user_version = 15;
        """
}
