DROP TABLE wave_audits;
