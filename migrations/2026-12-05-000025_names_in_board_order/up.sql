-- People in the order a board breaks ties: by name, then id.
--
-- On a flat board (a week of givers, where most gave once) hundreds of lines tie at a page's
-- last score and the page takes the first few of them by name. Walking this index until enough
-- of them turn up reads far fewer entries than naming every tied line (see `summed_page_sql`
-- in src/models/tallies.rs). `employees_name_idx` is on lower(display_name), the directory's
-- search order, which is not the boards' order.
CREATE INDEX employees_board_order ON employees (display_name, id);
