"""The credit side of a linked deal: days past due, loan classification (五级分类), and the records of
classification runs and manual downgrades (docs/credit.md)."""
