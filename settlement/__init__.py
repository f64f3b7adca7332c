"""Exercising option rights and splitting the proceeds between the bank, the investment arm and the risk
pool, to the last fen. Uses ledger/ for the books and deals/ for each deal's terms."""
