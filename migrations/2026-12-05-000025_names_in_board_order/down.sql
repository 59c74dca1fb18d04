DROP INDEX employees_board_order;
