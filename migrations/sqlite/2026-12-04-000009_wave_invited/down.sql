DROP TABLE wave_invited;
