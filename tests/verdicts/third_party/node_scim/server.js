// A SCIM 2.0 server built the way the SCIMMY and SCIMMY Routers READMEs tell a user to:
// declare the User and Group resource types with ingress/egress/degress handlers over a data
// store (here an in-memory Map per type) and mount SCIMMYRouters on express with a bearer check.
// Parsing, validation, filtering, PATCH, sorting and paging are all SCIMMY's own.
//
//   SCIM_TOKEN=... node server.js PORT    (or SCIM_PORT; 0 picks a free port)
// serves http://127.0.0.1:PORT/scim/v2 and prints "listening PORT" once it accepts connections.
// The token comes from the environment only, so it never shows in a process list.
import crypto from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const port = Number(process.argv[2] ?? process.env.SCIM_PORT);
const token = process.env.SCIM_TOKEN;
if (!Number.isInteger(port) || port < 0 || port > 65535 || !token) {
    console.error("usage: SCIM_TOKEN=<token> node server.js <port> (a port of 0 picks a free one)");
    process.exit(2);
}

// The "ResourceController" of SCIMMY's handler examples: find, create, update, delete rows.
function handlers(unique) {
    const rows = new Map();
    const notFound = (id) => new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
    return {
        // IngressHandler: update the row with resource.id, or create one (409 on a unique clash).
        ingress: (resource, instance) => {
            const now = new Date().toISOString();
            const data = JSON.parse(JSON.stringify(instance));
            const current = resource.id ? rows.get(resource.id) : undefined;
            if (resource.id && !current) throw notFound(resource.id);
            if (unique && data[unique] !== undefined) {
                // The attribute the schema declares server-unique, compared as SCIMMY's filter does.
                const clash = new SCIMMY.Types.Filter({[unique]: ["eq", data[unique]]})
                    .match([...rows.values()]).find((row) => row.id !== resource.id);
                if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} is not unique`);
            }
            const id = resource.id ?? crypto.randomUUID();
            // A row keeps its own timestamps, as a database row would; SCIMMY adds the rest of meta.
            const row = {...data, id, meta: {created: current?.meta.created ?? now, lastModified: now}};
            rows.set(id, row);
            return row;
        },
        // EgressHandler: one row by id, or every row the request's filter matches.
        egress: (resource) => {
            if (resource.id) {
                if (!rows.has(resource.id)) throw notFound(resource.id);
                return rows.get(resource.id);
            }
            const all = [...rows.values()];
            return resource.filter ? resource.filter.match(all) : all;
        },
        // DegressHandler: delete the row.
        degress: (resource) => {
            if (!rows.delete(resource.id)) throw notFound(resource.id);
        },
    };
}

// userName is the one attribute SCIMMY's schemas declare unique ("server"); a Group's displayName
// is not (RFC 7643 §4.2). The enterprise extension is added as SCIMMY's Resources docs show.
for (const [Resource, unique] of [[SCIMMY.Resources.User, "userName"], [SCIMMY.Resources.Group, null]]) {
    const {ingress, egress, degress} = handlers(unique);
    SCIMMY.Resources.declare(Resource).ingress(ingress).egress(egress).degress(degress);
}
SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false);

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) throw new Error("Authorization not detected!");
        return "scimcheck";
    },
}));
const server = app.listen(port, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
