DROP TABLE login_failures;
DROP TABLE server_secrets;
