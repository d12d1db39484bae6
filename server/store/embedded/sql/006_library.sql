-- Version 9: each user's library (saved tracks and albums). No foreign key
-- to the saved item: the domain checks it exists before saving and hides
-- deleted ones when reading, as the Cassandra store must. The user's rows
-- go with the user.
CREATE TABLE library_items (
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    item_id   TEXT NOT NULL,
    save_time INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, item_id)
) WITHOUT ROWID;
CREATE INDEX library_items_by_time ON library_items(user_id, kind, save_time DESC, item_id DESC);
