// The SQL terraform-provider-mysql runs to create a database, a user and a grant, built from the
// inputs the program registers (mysql.Database, mysql.User, mysql.Grant), so the local server holds
// exactly what the provider would create on RDS. @pulumi/mysql bridges
// github.com/terraform-providers/terraform-provider-mysql (hashicorp/terraform-provider-mysql at
// d3c1c3c); read from that source:
// - mysql/resource_database.go databaseConfigSQL: "CREATE DATABASE <quoteIdentifier(name)>
//   CHARACTER SET <quoted> COLLATE <quoted>", defaults utf8 / utf8_general_ci.
// - mysql/resource_user.go CreateUser: "CREATE USER '<user>'@'<host>' IDENTIFIED BY '<password>'",
//   values pasted in unescaped; host defaults to localhost; " REQUIRE <tls_option>" (default NONE)
//   when the server version (@@innodb_version) is above 5.7.0.
// - mysql/resource_grant.go CreateGrant: "GRANT <privileges joined by ', '> ON <db>.<table> TO
//   '<user>'@'<host>"; formatDatabaseName wraps the database in backquotes unless it is "*" or
//   already ends in one, and never escapes `_` or `%` (issue 10: a wildcard in a database-level
//   grant); table "*" stays bare. Above 8.0.0 (RDS MySQL 8) no REQUIRE and no WITH GRANT OPTION
//   (grant defaults to false).
// The provider reads the server version from @@innodb_version, which MariaDB 10.11 no longer has:
// this is the SQL it runs against RDS MySQL 8, replayed on MariaDB, not the provider itself.
// The provider keeps privileges in a hashed set, so its order may differ from the input's; the
// privileges granted are the same.

export interface DatabaseInputs {
    readonly name: string;
    readonly defaultCharacterSet?: string;
    readonly defaultCollation?: string;
}

export interface UserInputs {
    readonly user: string;
    readonly host?: string;
    readonly plaintextPassword?: string;
    readonly password?: string;
    readonly tlsOption?: string;
    readonly authPlugin?: string;
}

export interface GrantInputs {
    readonly user: string;
    readonly host?: string;
    readonly database: string;
    readonly table?: string;
    readonly privileges: readonly string[];
}

function quoteIdentifier(name: string): string {
    return "`" + name.replace(/`/g, "``") + "`";
}

export function createDatabaseSql(db: DatabaseInputs): string {
    const charset = db.defaultCharacterSet ?? "utf8";
    const collation = db.defaultCollation ?? "utf8_general_ci";
    const charsetClause = charset ? `CHARACTER SET ${quoteIdentifier(charset)}` : "";
    const collationClause = collation ? `COLLATE ${quoteIdentifier(collation)}` : "";
    return `CREATE DATABASE ${quoteIdentifier(db.name)} ${charsetClause} ${collationClause}`;
}

export function createUserSql(user: UserInputs): string {
    if (user.authPlugin) throw new Error(`mysql.User ${user.user}: auth_plugin is not supported locally`);
    const password = user.plaintextPassword ?? user.password ?? "";
    return `CREATE USER '${user.user}'@'${user.host ?? "localhost"}' IDENTIFIED BY '${password}' REQUIRE ${user.tlsOption ?? "NONE"}`;
}

export function createGrantSql(grant: GrantInputs): string {
    if (grant.privileges.length === 0) throw new Error(`mysql.Grant for ${grant.user}: no privileges`);
    const database = grant.database !== "*" && !grant.database.endsWith("`") ? `\`${grant.database}\`` : grant.database;
    const table = !grant.table || grant.table === "*" ? "*" : `\`${grant.table}\``;
    return `GRANT ${grant.privileges.join(", ")} ON ${database}.${table} TO '${grant.user}'@'${grant.host ?? "localhost"}'`;
}
