DROP TABLE praise_budgets;
